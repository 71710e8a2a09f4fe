"""The development channel: outbound messages are recorded in the store instead of being sent.

It serves the embedded run without Twilio credentials, and nothing else: the bootstrap never hands
it to a deployment, where a recorded message would look sent to the committee and reach nobody. The
record holds the text and the case reference but never the phone number, so it is safe to show
(``GET /dev/outbox``).
"""

from __future__ import annotations

from services.intake import store
from shared.contracts import MessageOutbound
from shared.runtime import Clock
from shared.store import Database


class DevChannel:
    name = "dev"
    # Nothing leaves this machine, so no number of ours is needed to send from.
    sender = "dev"

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def send(
        self, to: str, sender: str, body: str, *, event: MessageOutbound, part: int, parts: int
    ) -> str:
        await store.record_dev(self._db, event, part, parts, body, self._clock())
        return f"DEV{event.id.hex}{part:02d}"
