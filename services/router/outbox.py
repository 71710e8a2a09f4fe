"""Publishing the events a case change recorded: the transactional outbox of the router.

A state change and the events it causes are written in one conditional update (the events go into
the case's ``outbox``); the events are published afterwards and pulled from the outbox once the broker
confirmed them. A crash or a broker outage between the two leaves them in the outbox: the retried
request or delivery publishes them, and the periodic task publishes whatever is left behind. Event
ids are fixed when the event is recorded, so a second publication is a duplicate downstream drops.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog

from services.router import store
from services.router.cases import outbox_entry, outbox_event
from shared.contracts import Event
from shared.runtime import Runtime
from shared.store import merge_updates, to_ms

log = structlog.get_logger(__name__)


def record(events: list[Event | None], at: datetime) -> dict[str, Any]:
    """The update operators that put events into a case's outbox (merge into the state change)."""
    entries = [outbox_entry(e) for e in events if e is not None]
    if not entries:
        return {}
    return {"$push": {"outbox": {"$each": entries}}, "$min": {"outbox_since": to_ms(at)}}


def merge(*updates: dict[str, Any]) -> dict[str, Any]:
    """The state change and :func:`record`'s operators as one update; a path named twice raises
    :class:`shared.store.UpdateConflict` instead of reaching the server."""
    return merge_updates(*updates)


async def flush(runtime: Runtime, case: dict[str, Any]) -> None:
    """Publish the case's pending events in order; raises PublishError and leaves the rest pending."""
    for entry in list(case.get("outbox") or []):
        await runtime.bus.publish(outbox_event(entry))
        await store.pull_outbox(runtime.db, case["_id"], entry["id"])
        log.info("case_event_published", case_id=case["_id"], event_type=entry["type"])


async def flush_stale(runtime: Runtime, older_than_seconds: float = 60.0) -> int:
    """Publish events left in outboxes by requests that never came back; return how many cases."""
    before = runtime.clock() - timedelta(seconds=older_than_seconds)
    cases = await store.cases_with_stale_outbox(runtime.db, before)
    for case in cases:
        await flush(runtime, case)
    return len(cases)
