"""What a committee does to its case: acknowledge, reply, resolve, recuse (design sections 7 and 8).

Each action is one conditional update that changes the state, appends to the timeline and records
the resulting events in the case's outbox, followed by publishing the outbox. If publishing fails the
caller answers 503; the state change is already durable and its events wait in the outbox, so the
retried request finds the action done, publishes the pending events and succeeds. Domain errors are
raised here and translated to HTTP once, in :mod:`services.router.api`.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.router import store, texts
from services.router.assign import choose_committee
from services.router.cases import case_updated, event_id, outbound
from services.router.outbox import flush, merge, record
from shared.contracts import CaseAction
from shared.runtime import Runtime
from shared.store import to_ms

ACTIVE = ["assigned", "acknowledged", "reopened"]


class CaseClosed(Exception):
    """The case is closed; nothing more can be done to it."""


class Conflict(Exception):
    """The action contradicts the case's state (the message says how)."""


class Moved(Exception):
    """The case changed under us too often; the client may retry."""


def _entry(action_id: str, action: str, at: Any, actor: str, note: str | None = None) -> dict[str, Any]:
    return {"id": action_id, "at": at, "action": action, "actor_role": actor, "note": note}


async def apply_action(
    runtime: Runtime,
    case: dict[str, Any],
    expected: dict[str, Any],
    changes: dict[str, Any],
    action: CaseAction,
    action_id: str,
    *,
    worker_text: tuple[str, str] | None = None,
    push: dict[str, Any] | None = None,
    actor: str = "committee",
    note: str | None = None,
    reach_worker: bool = True,
) -> dict[str, Any] | None:
    """Change the case if it is still as ``expected``; record and publish the events. None: it moved."""
    now = to_ms(runtime.clock())
    after = {**case, **changes}
    events = [case_updated(after, action, actor, action_id, now, note)]
    if worker_text is not None and reach_worker:
        purpose, text = worker_text
        events.append(outbound(after, purpose, text, (action_id, "outbound"), now))  # type: ignore[arg-type]
    update = merge(
        {"$set": changes},
        {"$push": {"timeline": _entry(action_id, action, now, actor, note)}},
        {"$push": push or {}},
        record(list(events), now),
    )
    doc = await store.update_case(runtime.db, case["_id"], expected, update)
    if doc is not None:
        await flush(runtime, doc)
    return doc


async def acknowledge(runtime: Runtime, case: dict[str, Any], reach_worker: bool = True) -> bool:
    """Acknowledge once; a second call changes nothing (it only publishes what is still pending)."""
    for _ in range(3):
        if case["status"] == "closed":
            raise CaseClosed
        if case.get("acknowledged_at") is not None:
            await flush(runtime, case)
            return False
        now = to_ms(runtime.clock())
        status = "acknowledged" if case["status"] == "assigned" else case["status"]
        action_id = uuid.uuid4().hex
        done = await apply_action(
            runtime,
            case,
            {"status": case["status"], "acknowledged_at": None, "committee_id": case["committee_id"]},
            {"status": status, "acknowledged_at": now},
            "acknowledged",
            action_id,
            worker_text=("status", texts.acknowledged(case["language"], case["reference"])),
            reach_worker=reach_worker,
        )
        if done is not None:
            return True
        case = await _reload(runtime, case)
    raise Moved


async def reply(
    runtime: Runtime, case: dict[str, Any], text: str, idempotency_key: str | None, reach_worker: bool = True
) -> str:
    """Add a committee message and relay it to the worker; the same idempotency key adds it once."""
    action_id = event_id(case["_id"], "message", idempotency_key).hex if idempotency_key else uuid.uuid4().hex
    for _ in range(3):
        if any(m.get("id") == action_id for m in case.get("messages", [])):
            await flush(runtime, case)
            return action_id
        if case["status"] == "closed":
            raise CaseClosed
        now = to_ms(runtime.clock())
        message = {
            "id": action_id,
            "direction": "committee",
            "text": text,
            "at": now,
            "purpose": "committee_reply",
            "outbound_id": str(event_id(case["_id"], action_id, "outbound")) if reach_worker else None,
        }
        # Answering the worker shows the committee has the case: a first reply also acknowledges it
        # (escalation's clocks count it the same way).
        acknowledging = case.get("acknowledged_at") is None
        done = await apply_action(
            runtime,
            case,
            {
                "status": case["status"],
                "committee_id": case["committee_id"],
                "acknowledged_at": case.get("acknowledged_at"),
                "messages.id": {"$ne": action_id},
            },
            {
                "status": "acknowledged" if case["status"] == "assigned" else case["status"],
                "acknowledged_at": now,
            }
            if acknowledging
            else {},
            "replied",
            action_id,
            worker_text=("committee_reply", texts.committee_reply(case["language"], case["reference"], text)),
            push={"messages": message},
            reach_worker=reach_worker,
        )
        if done is not None:
            return action_id
        case = await _reload(runtime, case)
    raise Moved


async def resolve(runtime: Runtime, case: dict[str, Any], resolution: str, reach_worker: bool = True) -> None:
    """Propose a resolution and ask the worker to confirm it; repeating the same one is a no-op."""
    for _ in range(3):
        if case["status"] == "closed":
            raise CaseClosed
        if case["status"] == "resolved":
            if case.get("resolution") == resolution:
                await flush(runtime, case)
                return
            raise Conflict("the case is resolved and waits for the worker's answer")
        now = to_ms(runtime.clock())
        action_id = uuid.uuid4().hex
        done = await apply_action(
            runtime,
            case,
            {"status": case["status"], "committee_id": case["committee_id"]},
            {"status": "resolved", "resolution": resolution, "resolved_at": now},
            "resolved",
            action_id,
            worker_text=(
                "resolution_check",
                texts.resolution_check(case["language"], case["reference"], resolution),
            ),
            push={
                "messages": {
                    "id": action_id,
                    "direction": "committee",
                    "text": resolution,
                    "at": now,
                    "purpose": "resolution_check",
                    "outbound_id": str(event_id(case["_id"], action_id, "outbound"))
                    if reach_worker
                    else None,
                }
            },
            reach_worker=reach_worker,
        )
        if done is not None:
            return
        case = await _reload(runtime, case)
    raise Moved


async def recuse(runtime: Runtime, case: dict[str, Any], committee_id: str, reason: str) -> dict[str, Any]:
    """Hand the case to another eligible committee of the factory, or leave it to the NGO."""
    for _ in range(3):
        if committee_id in case.get("recused_by", []):
            await flush(runtime, case)
            return case
        if case["status"] == "closed":
            raise CaseClosed
        excluded = [*case.get("recused_by", []), committee_id]
        committees = await store.committees_of(runtime.db, case["factory_id"]) if case["factory_id"] else []
        counts = await store.open_case_counts(runtime.db, [c.id for c in committees])
        choice = choose_committee(case["category"], case["text"], committees, counts, excluded)
        reason_left = None if choice.committee_id else "conflict_of_interest"
        changes = {
            "committee_id": choice.committee_id,
            "status": "assigned" if choice.committee_id else "unassigned",
            "unassigned_reason": reason_left,
            "acknowledged_at": None,
        }
        action_id = uuid.uuid4().hex
        done = await apply_action(
            runtime,
            case,
            {"status": case["status"], "committee_id": committee_id},
            changes,
            "recused",
            action_id,
            push={"recused_by": committee_id, "recusals": {"committee_id": committee_id, "reason": reason}},
            note=reason_left,
        )
        if done is not None:
            return done
        case = await _reload(runtime, case)
    raise Moved


async def _reload(runtime: Runtime, case: dict[str, Any]) -> dict[str, Any]:
    fresh = await store.case_by_id(runtime.db, case["_id"])
    if fresh is None:  # cases are never deleted
        raise Moved
    return fresh
