"""The decisions taken for workers' later messages (collection ``router_inbound``, keyed by grievance id).

The first decision recorded for a message wins: a concurrent delivery of the same message, or a
later redelivery, reads it back instead of deciding again. A decision is stored as its model dumps
(``kind`` and its fields) and loaded back as the same typed decision.
"""

from __future__ import annotations

from datetime import datetime

from services.router.decisions import DECISION, Decision
from shared.store import Database

INBOUND = "router_inbound"


class InboundStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recorded(self, grievance_id: str) -> Decision | None:
        doc = await self._db[INBOUND].find_one({"_id": grievance_id})
        return DECISION.validate_python(doc) if doc is not None else None

    async def record(self, grievance_id: str, decision: Decision, at: datetime) -> Decision:
        """Keep the first decision taken for a message; return the one that is kept."""
        fields = DECISION.dump_python(decision)
        doc = {
            "_id": grievance_id,
            "at": at,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()},
        }
        await self._db[INBOUND].update_one({"_id": grievance_id}, {"$setOnInsert": doc}, upsert=True)
        stored = await self.recorded(grievance_id)
        assert stored is not None
        return stored
