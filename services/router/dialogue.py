"""A worker's later messages: follow-ups to an open case and keywords (issue: two-way dialogue).

Each inbound message gets one decision, recorded in ``router_inbound`` under its grievance id before
anything happens, so a redelivery repeats the same decision even though the case has moved on since
(after "是" closed the case, a redelivered "是" must not become a new grievance). Executing a decision
is idempotent: case changes carry an action id derived from the grievance id and are applied with
that id absent from the timeline in the filter, events go through the case outbox, and texts that
belong to no case get ids derived from the grievance id.

Decisions, in order: ``NEW``/``新投诉`` + text -> a new grievance; HELP, STOP, START -> answered;
STATUS [+ reference] -> the status of that case or of every open case; YES/NO [+ reference] with one
resolution pending -> confirmed (case closes) or disputed (case reopens); several pending -> asked
which; otherwise an ordinary message: a reference of an open case picks that case, a single open case
picks itself, several -> the worker is asked which (with the references), none -> a new grievance.
A message naming a factory from a worker whose only open cases are unroutable opens a new, routed
case and closes the unroutable ones as ``rerouted``.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from services.router import store, texts
from services.router.actions import apply_action
from services.router.assign import Hints, resolve_factory
from services.router.outbox import flush
from shared.contracts import GrievanceReceived, MessageOutbound, OutboundPurpose
from shared.ids import find_reference
from shared.keywords import parse
from shared.runtime import Runtime
from shared.store import to_ms

log = structlog.get_logger(__name__)
_NAMESPACE = uuid.UUID("0c3f6a8e-2b1d-4f7a-9e55-7d1b2c3a4f60")


def applies(event: GrievanceReceived) -> bool:
    """Web forms always open a grievance; SMS and WeChat messages from a known reporter may continue one."""
    return event.channel != "web" and bool(event.reporter_key)


def to_sender(
    event: GrievanceReceived, purpose: OutboundPurpose, text: str, **case: Any
) -> MessageOutbound | None:
    """A text back to whoever sent ``event``, with an id derived from the grievance id and purpose."""
    if not event.sealed_contact:
        return None
    return MessageOutbound(
        id=uuid.uuid5(_NAMESPACE, f"{event.grievance_id}:{purpose}"),
        occurred_at=to_ms(event.received_at),
        correlation_id=event.grievance_id,
        channel=event.channel,
        sealed_contact=event.sealed_contact,
        text=text,
        language=event.language,
        purpose=purpose,
        gateway_number=event.gateway_number,
        reference=case.get("reference"),
        case_id=case.get("case_id"),
    )


class Dialogue:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def decision(self, event: GrievanceReceived) -> dict[str, Any]:
        """The recorded decision for this message (taken now if it is the first delivery)."""
        gid = str(event.grievance_id)
        found = await store.inbound(self.runtime.db, gid)
        if found is not None:
            return found
        decided = await self.decide(event)
        decided.update(_id=gid, at=to_ms(self.runtime.clock()))
        return await store.record_inbound(self.runtime.db, decided)

    async def decide(self, event: GrievanceReceived) -> dict[str, Any]:
        db, key = self.runtime.db, event.reporter_key
        assert key is not None
        command = parse(event.text)
        if command is not None and command.kind == "new":
            return {"kind": "new_case", "text": command.text} if command.text else {"kind": "help"}
        if command is not None and command.kind in ("help", "stop", "start"):
            return {"kind": command.kind}
        open_cases = await store.open_cases_of(db, key)
        if command is not None and command.kind == "status":
            if command.reference:
                case = await store.reporter_case(db, key, command.reference)
                return {"kind": "status", "case_ids": [case["_id"]] if case else []}
            return {"kind": "status", "case_ids": [c["_id"] for c in open_cases[:5]]}
        if command is not None and command.kind in ("yes", "no"):
            pending = [c for c in open_cases if c["status"] == "resolved"]
            if command.reference:
                pending = [c for c in pending if c["reference"] == command.reference]
            if len(pending) == 1:
                return {
                    "kind": "confirm" if command.kind == "yes" else "dispute",
                    "case_id": pending[0]["_id"],
                }
            if len(pending) > 1:
                return {"kind": "question", "references": [c["reference"] for c in pending]}
            # no resolution waits for an answer: an ordinary message
        reference = find_reference(event.text)
        named = [c for c in open_cases if c["reference"] == reference] if reference else []
        if named:
            return {"kind": "message", "case_id": named[0]["_id"]}
        candidates, superseded = open_cases, []
        if any(c["factory_id"] is None for c in open_cases):
            factory, _ = resolve_factory(
                Hints(event.channel, event.text), await store.factories(db), latest_factory=None
            )
            if factory is not None:
                candidates = [c for c in open_cases if c["factory_id"] is not None]
                superseded = [c["_id"] for c in open_cases if c["factory_id"] is None]
        if len(candidates) == 1:
            return {"kind": "message", "case_id": candidates[0]["_id"]}
        if len(candidates) > 1:
            return {"kind": "question", "references": [c["reference"] for c in candidates]}
        return {"kind": "new_case", "supersedes": superseded}

    async def execute(self, decision: dict[str, Any], event: GrievanceReceived) -> None:
        """Carry out a recorded decision (anything but a new case); safe to repeat."""
        kind, db, key = decision["kind"], self.runtime.db, event.reporter_key
        assert key is not None
        reach = await store.reaches_worker(db, key)
        gid = str(event.grievance_id)
        reply: MessageOutbound | None = None
        if kind in ("message", "confirm", "dispute"):
            case = await self._case_action(kind, decision["case_id"], event, reach)
            if kind == "message" and reach and find_reference(event.text) is None:
                # Intake's instant receipt could not know this continues a case; the worker learns it here.
                notice = texts.added_to_case(event.language, case["reference"])
                reply = to_sender(event, "status", notice, reference=case["reference"], case_id=case["_id"])
        elif kind == "status":
            cases = [c for cid in decision["case_ids"] if (c := await store.case_by_id(db, cid))]
            lines = [
                texts.status(
                    event.language, c["reference"], c["status"], c["ack_due_at"], c["resolve_due_at"]
                )
                for c in cases
            ]
            single = (
                {"reference": cases[0]["reference"], "case_id": cases[0]["_id"]} if len(cases) == 1 else {}
            )
            body = "\n".join(lines) or texts.no_case(event.language)
            reply = to_sender(event, "status", body, **single) if reach else None
        elif kind == "help":
            reply = to_sender(event, "help", texts.help_text(event.language)) if reach else None
        elif kind == "question":
            reply = to_sender(event, "question", texts.which_case(event.language, decision["references"]))
            reply = reply if reach else None
        elif kind == "stop":
            if await store.opt_out(db, key, gid, to_ms(event.received_at)):
                reply = to_sender(event, "help", texts.stopped(event.language))
        elif kind == "start" and await store.opt_in(db, key, gid, to_ms(event.received_at)):
            reply = to_sender(event, "help", texts.restarted(event.language))
        if reply is not None:
            await self.runtime.bus.publish(reply)
        log.info("worker_message_handled", decision=kind)

    async def _case_action(
        self, kind: str, case_id: str, event: GrievanceReceived, reach: bool
    ) -> dict[str, Any]:
        case = await store.case_by_id(self.runtime.db, case_id)
        assert case is not None  # cases are never deleted
        gid, at = str(event.grievance_id), to_ms(event.received_at)
        action_id = f"{gid}:{kind}"
        message = {"id": gid, "direction": "worker", "text": event.text, "at": at, "purpose": kind}
        expected: dict[str, Any] = {"timeline.id": {"$ne": action_id}}
        language, reference = case["language"], case["reference"]
        if kind == "message":
            expected["messages.id"] = {"$ne": gid}
            done = await apply_action(
                self.runtime, case, expected, {}, "worker_replied", action_id,
                push={"messages": message}, actor="worker",
            )  # fmt: skip
        elif kind == "confirm":
            done = await apply_action(
                self.runtime, case, {**expected, "status": "resolved"},
                {"status": "closed", "closure": "confirmed", "closed_at": at}, "confirmed", action_id,
                worker_text=("status", texts.confirmed(language, reference)),
                push={"messages": message}, actor="worker", reach_worker=reach,
            )  # fmt: skip
        else:
            done = await apply_action(
                self.runtime, case, {**expected, "status": "resolved"},
                {"status": "reopened", "disputed_at": at}, "disputed", action_id,
                worker_text=("status", texts.disputed(language, reference)),
                push={"messages": message}, actor="worker", reach_worker=reach,
            )  # fmt: skip
        if done is None:
            # Applied by an earlier delivery (publish what may still wait), or the case moved on.
            fresh = await store.case_by_id(self.runtime.db, case_id)
            if fresh is not None:
                await flush(self.runtime, fresh)
        return case

    async def close_superseded(self, decision: dict[str, Any] | None, case: dict[str, Any]) -> None:
        """Close the unroutable cases a routed follow-up replaced (idempotent)."""
        for case_id in (decision or {}).get("supersedes", []):
            old = await store.case_by_id(self.runtime.db, case_id)
            if old is None:
                continue
            action_id = f"{case['_id']}:rerouted"
            await apply_action(
                self.runtime, old, {"status": "unassigned", "factory_id": None, "timeline.id": {"$ne": action_id}},
                {"status": "closed", "closure": "rerouted", "closed_at": to_ms(self.runtime.clock())},
                "closed", action_id, actor="system", note="rerouted",
            )  # fmt: skip


async def close_unanswered(runtime: Runtime) -> int:
    """Close resolutions the worker left unanswered for seven days (``resolved_unconfirmed``).

    Several replicas may run this at once: the update expects the case still resolved at the same
    moment and the action id is derived from it, so exactly one of them closes each case.
    """
    now = runtime.clock()
    closed = 0
    for case in await store.unanswered_resolutions(runtime.db, now - runtime.settings.confirmation_window):
        action_id = f"autoclose:{case['resolved_at'].isoformat()}"
        done = await apply_action(
            runtime, case,
            {"status": "resolved", "resolved_at": case["resolved_at"], "timeline.id": {"$ne": action_id}},
            {"status": "closed", "closure": "unconfirmed", "closed_at": to_ms(now)},
            "closed", action_id, actor="system", note="resolved_unconfirmed",
        )  # fmt: skip
        closed += done is not None
    return closed
