"""A worker's later message carried out: the recorded decision's follow-up, answer, or reply.

The consumer decides once per message (:func:`services.router.decisions.decide`, recorded in
``router_inbound`` under its grievance id before anything happens, so a redelivery repeats the same
decision even though the case has moved on since); :meth:`Dialogue.execute` carries out every
decision but a new case. Carrying it out is idempotent: a case change carries an action id derived
from the grievance id, which the case checks against its timeline, and its events go through the
case outbox; texts that belong to no case get ids derived from the grievance id. STOP and START are
recorded and told to the worker's cases by :mod:`services.router.switches`.

A follow-up passes the safety checks of a new grievance (:class:`services.router.case.Safety`) in
the same write that adds it; the worker's case page adds its replies and answers the same way
(:meth:`Dialogue.follow_up`, :meth:`Dialogue.answer`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Literal, assert_never

import structlog

from services.router import switches, texts
from services.router.assign import Routing
from services.router.case import Case, Safety
from services.router.case_store import CaseStore
from services.router.classify import Classification, classify
from services.router.decisions import (
    Confirm,
    ConfirmContact,
    Dispute,
    FollowUp,
    Help,
    Question,
    Start,
    StatusRequest,
    Stop,
)
from services.router.outbox import Outbox
from services.router.progress import progress
from services.router.registry_store import RegistryStore
from services.router.worker_store import WorkerStore
from shared.contracts import (
    GrievanceReceived,
    MessageOutbound,
    OutboundPurpose,
)
from shared.ids import case_code, find_case_codes, find_reference
from shared.messaging import Bus
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import to_ms

log = structlog.get_logger(__name__)

# Texts that belong to no case (help, STOP, which case?) derive their ids from the message (uuid5).
_REPLY_NAMESPACE = uuid.UUID("0c3f6a8e-2b1d-4f7a-9e55-7d1b2c3a4f60")
# Every decision but a new case, which the consumer opens itself.
Answer = FollowUp | Confirm | Dispute | StatusRequest | Question | ConfirmContact | Help | Stop | Start
# The SMS providers that carry templates only (intake renders each message by its purpose).
TEMPLATE_SMS = frozenset({"aliyun", "tencent"})


def reply_to_sender(
    event: GrievanceReceived,
    purpose: OutboundPurpose,
    text: str,
    *,
    reference: str | None = None,
    case_id: str | None = None,
) -> MessageOutbound | None:
    """A text back to whoever sent ``event`` (None without a contact), its id derived from the message."""
    if not event.sealed_contact:
        return None
    return MessageOutbound(
        id=uuid.uuid5(_REPLY_NAMESPACE, f"{event.grievance_id}:{purpose}"),
        occurred_at=to_ms(event.received_at),
        correlation_id=event.grievance_id,
        channel=event.channel,
        sealed_contact=event.sealed_contact,
        text=text,
        language=event.language,
        purpose=purpose,
        gateway_number=event.gateway_number,
        reference=reference,
        case_id=case_id,
    )


class Dialogue:
    def __init__(
        self,
        *,
        cases: CaseStore,
        workers: WorkerStore,
        registry: RegistryStore,
        outbox: Outbox,
        bus: Bus,
        clock: Clock,
        sla: SlaTable,
    ) -> None:
        self._cases, self._workers, self._registry = cases, workers, registry
        self._outbox, self._bus, self._clock, self._sla = outbox, bus, clock, sla

    async def _routing(self, routing: Routing | None) -> Routing:
        """The registry's routing: the consumer's, read for this very message, or read here."""
        return routing if routing is not None else await self._registry.routing()

    async def _safety(self, case_id: str, classification: Classification, routing: Routing) -> Safety:
        """What a follow-up is checked against: its classification, the factory's committees, their loads."""
        case = await self._cases.by_id(case_id)
        committees = routing.committees_of(case.factory_id if case else None)
        counts = await self._cases.open_case_counts([c.id for c in committees])
        return Safety(classification, committees, counts, self._sla)

    async def follow_up(
        self,
        case_id: str,
        *,
        grievance_id: str,
        text: str,
        at: datetime,
        classification: Classification | None = None,
        routing: Routing | None = None,
    ) -> Case:
        """Add a worker's message to the case after the safety checks of a new grievance, once per
        ``grievance_id`` (an SMS or WeChat follow-up, or a reply on the worker's case page).

        ``classification`` and ``routing`` are the text's and the registry's, when the caller has them
        already (the consumer has both for every message it receives)."""
        safety = await self._safety(case_id, classification or classify(text), await self._routing(routing))
        change = partial(
            Case.worker_message,
            grievance_id=grievance_id,
            text=text,
            at=at,
            now=to_ms(self._clock()),
            safety=safety,
        )
        return (await self._outbox.apply(case_id, change)).case

    async def answer(
        self,
        case_id: str,
        kind: Literal["confirm", "dispute"],
        *,
        grievance_id: str,
        text: str,
        at: datetime,
        reach: bool,
    ) -> Case:
        """The worker's answer to the resolution question (an SMS YES or NO, or the case page's
        buttons): confirming closes the case, disputing reopens it; once per ``grievance_id``, and
        nothing while the case waits for no answer."""
        method = Case.confirm if kind == "confirm" else Case.dispute
        change = partial(
            method, grievance_id=grievance_id, text=text, at=at, now=to_ms(self._clock()), reach_worker=reach
        )
        return (await self._outbox.apply(case_id, change)).case

    async def execute(
        self,
        decision: Answer,
        event: GrievanceReceived,
        classification: Classification | None = None,
        routing: Routing | None = None,
    ) -> None:
        """Carry out a recorded decision (anything but a new case); safe to repeat. ``classification``
        and ``routing`` are the message's and the registry's, as the consumer has them (made or read
        here when not given)."""
        key = event.reporter_key
        assert key is not None  # the consumer hands over messages from a known sender only
        reach = await self._workers.reaches(key)
        gid, at, language = str(event.grievance_id), to_ms(event.received_at), event.language
        now = to_ms(self._clock())
        reply: MessageOutbound | None = None
        match decision:
            case FollowUp(case_id=case_id):
                case = await self.follow_up(
                    case_id,
                    grievance_id=gid,
                    text=event.text,
                    at=at,
                    classification=classification,
                    routing=routing,
                )
                named = find_reference(event.text) is not None or case_code(
                    case.reference
                ) in find_case_codes(event.text)
                if reach and not named:
                    # Intake's instant receipt could not know this continues a case; the worker learns it here.
                    # A Chinese SMS says so with the acknowledgement's template (its code, the page).
                    notice = texts.added_to_case(language, case.reference)
                    purpose: OutboundPurpose = "ack" if event.provider in TEMPLATE_SMS else "status"
                    reply = reply_to_sender(
                        event, purpose, notice, reference=case.reference, case_id=case.case_id
                    )
            case Confirm(case_id=case_id):
                await self.answer(case_id, "confirm", grievance_id=gid, text=event.text, at=at, reach=reach)
            case Dispute(case_id=case_id):
                await self.answer(case_id, "dispute", grievance_id=gid, text=event.text, at=at, reach=reach)
            case StatusRequest(case_ids=case_ids):
                found = [c for cid in case_ids if (c := await self._cases.by_id(cid)) is not None]
                routing = await self._routing(routing)
                lines = [
                    texts.status(
                        language,
                        c.reference,
                        progress(c, now),
                        c.ack_due_at,
                        c.resolve_due_at,
                        routing.zone_of(c.factory_id),
                    )
                    for c in found
                ]
                body = "\n".join(lines) or texts.no_case(language)
                single = found[0] if len(found) == 1 else None
                if reach:
                    reply = reply_to_sender(
                        event,
                        "status",
                        body,
                        reference=single.reference if single else None,
                        case_id=single.case_id if single else None,
                    )
            case ConfirmContact(case_ids=case_ids):
                # The reply below is the one text for this message; it names the cases confirmed.
                confirm = partial(
                    Case.confirm_contact,
                    reporter_key=key,
                    action_id=f"{gid}:contact",
                    now=now,
                    reach_worker=False,
                )
                confirmed = [(await self._outbox.apply(cid, confirm)).case for cid in case_ids]
                notice = texts.contact_confirmed(language, [c.reference for c in confirmed])
                reply = reply_to_sender(event, "status", notice) if reach else None
            case Help():
                reply = reply_to_sender(event, "help", texts.help_text(language)) if reach else None
            case Question(references=references):
                question = texts.which_case(language, references)
                reply = reply_to_sender(event, "question", question) if reach else None
            case Stop() | Start():
                stopped = isinstance(decision, Stop)
                switched = await switches.switch(
                    key,
                    gid,
                    stopped=stopped,
                    at=at,
                    now=now,
                    workers=self._workers,
                    cases=self._cases,
                    outbox=self._outbox,
                )
                if switched:
                    said = texts.stopped(language) if stopped else texts.restarted(language)
                    reply = reply_to_sender(event, "help", said)
            case _:
                assert_never(decision)
        if reply is not None:
            await self._bus.publish(reply)
        log.info("worker_message_handled", decision=decision.kind)
