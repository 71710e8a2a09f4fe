"""Intake's own MongoDB collections; the only module of intake that touches the driver.

``outbound_messages`` makes delivery exactly-once per ``message.outbound`` event as far as intake can:
a unique index on ``event_id`` and a small state machine changed only by conditional updates.

    claimed --(every part sent)--> sent
    claimed --(permanent error)--> failed
    claimed --(Chinese SMS: no answer to the send)--> unconfirmed --(its delivery report)--> sent
    claimed --(WeChat's window closed, no notice)--> waiting --(the worker writes)--> claimed
    claimed --(transient error)--> released --(next delivery)--> claimed
    (no contact / unsupported channel) --> undeliverable

A claim older than the lease may be taken over (its holder died). Parts already sent are recorded one
by one, so a retry after a partial failure sends only the rest. The only duplicate left is a crash
between the provider accepting a part and this record: at-least-once, never silently lost.

The record is also the outbox of the ``message.delivery`` announcements: every write that can move
the message's delivery state (:mod:`services.intake.delivery_state`) sets ``announce`` and counts
``changes`` in the same write, so no change can be lost between the record and the bus. The
announcer (:mod:`services.intake.announcer`) publishes the state of each marked record and clears
the mark only if no change came in meanwhile (``changes`` still as it read it).

``dev_outbox`` holds what the development channel "sent": texts without any phone number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.contracts import MessageOutbound
from shared.store import ASCENDING, DESCENDING, Database, DuplicateKeyError, IndexModel, ReturnDocument

OUTBOUND = "outbound_messages"
DEV_OUTBOX = "dev_outbox"
INDEXES = {
    OUTBOUND: [
        IndexModel([("event_id", ASCENDING)], unique=True),
        IndexModel([("provider_sids", ASCENDING)]),
        IndexModel([("case_id", ASCENDING), ("created_at", ASCENDING)]),
        # Only records with an announcement to publish carry the field.
        IndexModel([("announce", ASCENDING), ("updated_at", ASCENDING)], sparse=True),
        # Only waiting WeChat messages carry it: the worker's reporter key, while they wait.
        IndexModel([("waiting_for", ASCENDING), ("created_at", ASCENDING)], sparse=True),
    ],
    DEV_OUTBOX: [
        IndexModel([("event_id", ASCENDING), ("part", ASCENDING)], unique=True),
        IndexModel([("created_at", DESCENDING)]),
    ],
}
# Provider delivery reports arrive out of order; a later stage never gives way to an earlier one.
_STAGES = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "receiving": 3, "received": 3}
_FINAL = {"delivered", "undelivered", "failed", "read", "canceled"}

Outcome = Literal["claimed", "done", "busy"]
# Added to every write that can change what intake announces about the message.
_MARK = {"announce": True}
_COUNT = {"changes": 1}


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    sent_parts: dict[str, str]


def _identity(event: MessageOutbound, now: datetime) -> dict[str, Any]:
    return {
        "event_id": str(event.id),
        "case_id": event.case_id,
        "reference": event.reference,
        "correlation_id": str(event.correlation_id),
        "channel": event.channel,
        "purpose": event.purpose,
        "language": event.language,
        "created_at": now,
    }


async def claim(db: Database, event: MessageOutbound, now: datetime, lease: timedelta) -> Claim:
    """Take the right to send this event: a fresh claim, a released or waiting one, or an expired one."""
    try:
        await db[OUTBOUND].insert_one(
            {
                **_identity(event, now),
                "status": "claimed",
                "claimed_at": now,
                "updated_at": now,
                "attempts": 1,
                **_MARK,
                **_COUNT,
            }
        )
        return Claim("claimed", {})
    except DuplicateKeyError:
        pass
    event_id = str(event.id)
    for expected in (
        {"status": {"$in": ["released", "waiting"]}},
        {"status": "claimed", "claimed_at": {"$lt": now - lease}},
    ):
        taken = await db[OUTBOUND].find_one_and_update(
            {"event_id": event_id, **expected},
            {"$set": {"status": "claimed", "claimed_at": now, "updated_at": now}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if taken is not None:
            return Claim("claimed", dict(taken.get("sent_parts") or {}))
    current = await db[OUTBOUND].find_one({"event_id": event_id}, {"status": 1})
    return Claim("busy" if current and current["status"] == "claimed" else "done", {})


async def record_part(db: Database, event_id: str, part: int, provider_sid: str, now: datetime) -> None:
    await db[OUTBOUND].update_one(
        {"event_id": event_id, "status": "claimed"},
        {
            "$set": {f"sent_parts.{part}": provider_sid, "updated_at": now},
            "$addToSet": {"provider_sids": provider_sid},
        },
    )


async def finish(
    db: Database,
    event_id: str,
    status: Literal["sent", "failed", "undeliverable"],
    now: datetime,
    **details: Any,
) -> None:
    """Leave the claimed state for good (``details``: parts, provider, error_code, error, reason)."""
    await db[OUTBOUND].update_one(
        {"event_id": event_id, "status": "claimed"},
        {
            "$set": {"status": status, "updated_at": now, "finished_at": now, **details, **_MARK},
            "$unset": _WAITING,
            "$inc": _COUNT,
        },
    )


async def unconfirmed(db: Database, event_id: str, now: datetime, **details: Any) -> None:
    """A send that may have reached the provider without an answer: never sent again by itself, it
    waits for the delivery report that names our id (:func:`reconcile`)."""
    await db[OUTBOUND].update_one(
        {"event_id": event_id, "status": "claimed"},
        {
            "$set": {"status": "unconfirmed", "updated_at": now, "finished_at": now, **details, **_MARK},
            "$inc": _COUNT,
        },
    )


async def reconcile(db: Database, event_id: str, provider_sid: str, now: datetime) -> bool:
    """An unconfirmed send the provider's report proves sent, under the provider's id; False when
    ``event_id`` is no unconfirmed message of ours."""
    result = await db[OUTBOUND].update_one(
        {"event_id": event_id, "status": "unconfirmed"},
        {
            "$set": {
                "status": "sent",
                "sent_parts.0": provider_sid,
                "parts": 1,
                "updated_at": now,
                "reconciled_at": now,
                **_MARK,
            },
            "$addToSet": {"provider_sids": provider_sid},
            "$inc": _COUNT,
        },
    )
    return bool(result.modified_count)


# What a waiting message carries only while it waits: whom for, and the event to send again.
_WAITING = {"waiting_for": "", "waiting_event": ""}


async def wait(db: Database, event: MessageOutbound, now: datetime, *, reporter_key: str) -> None:
    """Leave the claim as ``waiting`` for the worker's next message (WeChat's window is closed).

    The event itself is kept, as the spool keeps one (its contact sealed), so that the worker's next
    message can send it again without the bus; the reporter key finds it then.
    """
    await db[OUTBOUND].update_one(
        {"event_id": str(event.id), "status": "claimed"},
        {
            "$set": {
                "status": "waiting",
                "waiting_since": now,
                "updated_at": now,
                "waiting_for": reporter_key,
                "waiting_event": event.to_json().decode("utf-8"),
                **_MARK,
            },
            "$inc": _COUNT,
        },
    )


async def wait_again(db: Database, event_id: str, now: datetime) -> None:
    """A waiting message whose new attempt failed for now waits again (nothing else would retry it)."""
    await db[OUTBOUND].update_one(
        {"event_id": event_id, "status": "released", "waiting_for": {"$exists": True}},
        {"$set": {"status": "waiting", "updated_at": now, **_MARK}, "$inc": _COUNT},
    )


async def stop_waiting(db: Database, reporter_key: str, now: datetime, reason: str) -> int:
    """The worker unfollowed: their waiting messages are undeliverable; how many."""
    result = await db[OUTBOUND].update_many(
        {"waiting_for": reporter_key, "status": "waiting"},
        {
            "$set": {
                "status": "undeliverable",
                "reason": reason,
                "updated_at": now,
                "finished_at": now,
                **_MARK,
            },
            "$unset": _WAITING,
            "$inc": _COUNT,
        },
    )
    return int(result.modified_count)


async def expire_waiting(db: Database, event_id: str, now: datetime, reason: str) -> bool:
    """A waiting message that is no use any more (a sign-in code past its life) is undeliverable."""
    result = await db[OUTBOUND].update_one(
        {"event_id": event_id, "waiting_for": {"$exists": True}, "status": {"$in": ["waiting", "released"]}},
        {
            "$set": {
                "status": "undeliverable",
                "reason": reason,
                "updated_at": now,
                "finished_at": now,
                **_MARK,
            },
            "$unset": _WAITING,
            "$inc": _COUNT,
        },
    )
    return bool(result.modified_count)


async def waiting_for(db: Database, reporter_key: str, limit: int = 100) -> list[tuple[str, str]]:
    """The messages of a worker that wait, oldest first: (event id, the event's JSON). A claimed or
    released one is among them until it is sent: its attempt may have died with its process."""
    cursor = (
        db[OUTBOUND]
        .find({"waiting_for": reporter_key}, {"event_id": 1, "waiting_event": 1})
        .sort([("created_at", ASCENDING), ("event_id", ASCENDING)])
        .limit(limit)
    )
    return [(str(doc["event_id"]), str(doc["waiting_event"])) async for doc in cursor]


async def reseal_waiting(db: Database, new_seal: Callable[[str], str | None]) -> tuple[int, int]:
    """Seal the contact of every waiting event with the current key (key rotation), as the spool
    does: rewritten only while the record still holds the body read; (rewritten, raced)."""
    rewritten = raced = 0
    async for document in db[OUTBOUND].find(
        {"waiting_event": {"$exists": True}}, {"event_id": 1, "waiting_event": 1}
    ):
        event = MessageOutbound.model_validate_json(document["waiting_event"])
        fresh = new_seal(event.sealed_contact) if event.sealed_contact else None
        if fresh is None:
            continue
        body = event.model_copy(update={"sealed_contact": fresh}).to_json().decode("utf-8")
        result = await db[OUTBOUND].update_one(
            {"event_id": document["event_id"], "waiting_event": document["waiting_event"]},
            {"$set": {"waiting_event": body}},
        )
        rewritten, raced = rewritten + result.modified_count, raced + 1 - result.modified_count
    return rewritten, raced


async def release(db: Database, event_id: str, now: datetime, error: str) -> None:
    """Give a claim back after a transient failure, so the redelivery can take it at once."""
    await db[OUTBOUND].update_one(
        {"event_id": event_id, "status": "claimed"},
        {"$set": {"status": "released", "updated_at": now, "last_error": error}},
    )


async def undeliverable(db: Database, event: MessageOutbound, reason: str, now: datetime) -> None:
    """Record an event no channel can deliver (no contact, unsupported channel); idempotent."""
    await db[OUTBOUND].update_one(
        {"event_id": str(event.id)},
        {
            "$setOnInsert": {
                **_identity(event, now),
                "status": "undeliverable",
                "reason": reason,
                "updated_at": now,
                **_MARK,
                **_COUNT,
            }
        },
        upsert=True,
    )


async def record_delivery(
    db: Database, provider_sid: str, delivery_status: str, error_code: str | None, now: datetime
) -> bool:
    """Apply a provider's delivery report to the message that holds ``provider_sid``.

    Returns False for a sid we never sent (nothing to record). Reports that arrive after a later
    stage was already recorded change nothing.
    """
    current = await db[OUTBOUND].find_one({"provider_sids": provider_sid}, {"event_id": 1, "delivery": 1})
    if current is None:
        return False
    previous = (current.get("delivery") or {}).get(provider_sid)
    if previous is not None and not _advances(previous, delivery_status):
        return True
    update: dict[str, Any] = {
        f"delivery.{provider_sid}": delivery_status,
        "delivery_status": delivery_status,
        "delivery_updated_at": now,
        "updated_at": now,
        **_MARK,
    }
    if error_code:
        update["delivery_error_code"] = error_code
    await db[OUTBOUND].update_one(
        {"event_id": current["event_id"], f"delivery.{provider_sid}": previous},
        {"$set": update, "$inc": _COUNT},
    )
    return True


def _advances(previous: str, new: str) -> bool:
    if previous in _FINAL:
        return False
    return new in _FINAL or _STAGES.get(new, 0) > _STAGES.get(previous, 0)


async def to_announce(db: Database, limit: int) -> list[dict[str, Any]]:
    """Records whose delivery state may not have been announced yet, least recently changed first."""
    cursor = (
        db[OUTBOUND]
        .find({"announce": True}, {"_id": 0})
        .sort([("updated_at", ASCENDING), ("event_id", ASCENDING)])
        .limit(limit)
    )
    return [document async for document in cursor]


async def announced(db: Database, event_id: str, changes: int, state: str | None) -> bool:
    """Clear the mark once ``state`` is published, unless the record changed since it was read."""
    result = await db[OUTBOUND].update_one(
        {"event_id": event_id, "changes": changes, "announce": True},
        {"$unset": {"announce": ""}, "$set": {"announced_state": state}},
    )
    return bool(result.modified_count)


async def outbound_for_event(db: Database, event_id: str) -> dict[str, Any] | None:
    document: dict[str, Any] | None = await db[OUTBOUND].find_one({"event_id": event_id}, {"_id": 0})
    return document


async def record_dev(
    db: Database, event: MessageOutbound, part: int, parts: int, text: str, now: datetime
) -> None:
    """What the development channel would have sent; no phone number is stored."""
    await db[DEV_OUTBOX].update_one(
        {"event_id": str(event.id), "part": part},
        {
            "$setOnInsert": {
                "parts": parts,
                "case_id": event.case_id,
                "reference": event.reference,
                "channel": event.channel,
                "purpose": event.purpose,
                "language": event.language,
                "text": text,
                "created_at": now,
            }
        },
        upsert=True,
    )


async def dev_outbox(db: Database, limit: int = 100, reference: str | None = None) -> list[dict[str, Any]]:
    """The development channel's messages, newest first (the CLI and ``GET /dev/outbox`` read this).

    Messages recorded in the same millisecond are ordered by event id, so the parts of one message
    stay together; (event id, part) is unique, so the order is total.
    """
    query: dict[str, Any] = {} if reference is None else {"reference": reference}
    order = [("created_at", DESCENDING), ("event_id", ASCENDING), ("part", ASCENDING)]
    cursor = db[DEV_OUTBOX].find(query, {"_id": 0}).sort(order)
    return [document async for document in cursor.limit(limit)]


async def factory_codes(db: Database) -> set[str]:
    """The factory codes of the registry, case-folded: the one read of another service's collection.

    The registry (``factories``) is the router's; intake reads only the codes, so that a web form
    naming no factory is refused while the worker can still correct it (see
    :mod:`services.intake.factories`).
    """
    cursor = db["factories"].find({}, {"_id": 0, "code": 1})
    return {str(doc["code"]).casefold() async for doc in cursor if doc.get("code")}
