"""A worker's later messages: the recorded decision, and carrying it out (issue: two-way dialogue).

Each inbound message gets one decision (:mod:`services.router.decisions`), recorded in
``router_inbound`` under its grievance id before anything happens, so a redelivery repeats the same
decision even though the case has moved on since. Carrying it out is idempotent: a case change
carries an action id derived from the grievance id, which the case checks against its timeline, and
its events go through the case outbox; texts that belong to no case get ids derived from the
grievance id.

Binding (:func:`services.router.decisions.bound_cases`): only cases bound to the sender's proven
identity are the "open cases" a message may continue without a reference; a quoted reference picks
its open case whoever opened it. A follow-up then passes the safety checks of a new grievance
(:class:`services.router.case.Safety`) in the same write that adds it.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
import uuid
from datetime import datetime
from functools import partial
from typing import Literal, assert_never

import structlog

from services.router import texts
from services.router.assign import Hints, resolve_factory
from services.router.case import Case, Safety
from services.router.case_store import CaseStore
from services.router.classify import classify
from services.router.decisions import (
    Confirm,
    ConfirmContact,
    Decision,
    Dispute,
    FollowUp,
    Help,
    NewCase,
    Question,
    Start,
    StatusRequest,
    Stop,
    bound_cases,
    decide,
    needs_factory,
)
from services.router.errors import CaseNotFound
from services.router.inbound_store import InboundStore
from services.router.outbox import Outbox
from services.router.progress import progress
from services.router.registry_store import RegistryStore
from services.router.worker_store import WorkerStore
from shared.contracts import (
    ContactWithdrawn,
    GrievanceReceived,
    MessageOutbound,
    OutboundPurpose,
    contact_proven,
)
from shared.ids import case_code, find_case_codes, find_reference
from shared.keywords import parse
from shared.messaging import Bus
from shared.privacy import Keys, contact_code, unverified_reporter_key
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
# A message that is only a confirmation code (six digits, full-width ones folded).
_CODE = re.compile(r"\s*([0-9]{6})\s*")


def applies(event: GrievanceReceived) -> bool:
    """Web forms always open a grievance; SMS and WeChat messages from a known reporter may continue one."""
    return event.channel != "web" and bool(event.reporter_key)


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
        inbound: InboundStore,
        workers: WorkerStore,
        registry: RegistryStore,
        outbox: Outbox,
        bus: Bus,
        clock: Clock,
        keys: Keys,
        sla: SlaTable,
    ) -> None:
        self._cases, self._inbound, self._workers, self._registry = cases, inbound, workers, registry
        self._outbox, self._bus, self._clock, self._keys, self._sla = outbox, bus, clock, keys, sla

    async def recorded(self, grievance_id: str) -> Decision | None:
        """The decision an earlier delivery of this message recorded, if any."""
        return await self._inbound.recorded(grievance_id)

    async def decision(self, event: GrievanceReceived) -> Decision:
        """The recorded decision for this message (taken now if it is the first delivery)."""
        gid = str(event.grievance_id)
        found = await self._inbound.recorded(gid)
        if found is not None:
            return found
        return await self._inbound.record(gid, await self._decide(event), to_ms(self._clock()))

    async def _decide(self, event: GrievanceReceived) -> Decision:
        """Read what the decision may depend on, then take it (:func:`decide` is pure)."""
        key = event.reporter_key
        assert key is not None  # applies() holds
        proven = contact_proven(event)
        command = parse(event.text)
        open_cases = bound_cases(await self._cases.open_of_reporter(key), key, proven)
        status_case = None
        if proven and command is not None and command.kind == "status" and command.reference:
            found = await self._cases.reporter_case(key, command.reference)
            status_case = found if found is not None and found.bound_to(key) else None
        named_factory = None
        if needs_factory(open_cases):
            hints = Hints(event.channel, event.text)
            named_factory, _ = resolve_factory(hints, await self._registry.factories(), latest_factory=None)
        reference = find_reference(event.text)
        referenced = await self._cases.open_by_reference(reference) if reference else None
        confirmable = await self._confirmable(key, event.text) if proven and command is None else ()
        return decide(
            command,
            reference=reference,
            open_cases=open_cases,
            status_case=status_case,
            named_factory=named_factory,
            referenced=referenced,
            confirmable=confirmable,
            codes=find_case_codes(event.text) if open_cases else frozenset(),
        )

    async def _confirmable(self, key: str, text: str) -> tuple[str, ...]:
        """The cases whose confirmation request went to this sender's number and whose code the text is."""
        written = _CODE.fullmatch(unicodedata.normalize("NFKC", text))
        if written is None:
            return ()
        unverified = unverified_reporter_key(self._keys, key)
        requested = await self._workers.requested_for(unverified)
        found = []
        for case in await self._cases.awaiting_confirmation(unverified):
            code = contact_code(self._keys, unverified, case.created_at.date().isoformat())
            if case.case_id in requested and hmac.compare_digest(code, written.group(1)):
                found.append(case.case_id)
        return tuple(found)

    async def _safety(self, case_id: str, text: str) -> Safety:
        """What a follow-up is checked against: its classification, the factory's committees, their loads."""
        case = await self._cases.by_id(case_id)
        committees = await self._registry.committees_of(case.factory_id) if case and case.factory_id else []
        counts = await self._cases.open_case_counts([c.id for c in committees])
        return Safety(classify(text), committees, counts, self._sla)

    async def follow_up(self, case_id: str, *, grievance_id: str, text: str, at: datetime) -> Case:
        """Add a worker's message to the case after the safety checks of a new grievance, once per
        ``grievance_id`` (an SMS or WeChat follow-up, or a reply on the worker's case page)."""
        safety = await self._safety(case_id, text)
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

    async def execute(self, decision: Answer, event: GrievanceReceived) -> None:
        """Carry out a recorded decision (anything but a new case); safe to repeat."""
        key = event.reporter_key
        assert key is not None  # applies() holds
        reach = await self._workers.reaches(key)
        gid, at, language = str(event.grievance_id), to_ms(event.received_at), event.language
        now = to_ms(self._clock())
        reply: MessageOutbound | None = None
        match decision:
            case FollowUp(case_id=case_id):
                case = await self.follow_up(case_id, grievance_id=gid, text=event.text, at=at)
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
                lines = [
                    texts.status(
                        language,
                        c.reference,
                        progress(c, now),
                        c.ack_due_at,
                        c.resolve_due_at,
                        await self._registry.timezone_of(c.factory_id),
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
            case Stop():
                if await self._workers.opt_out(key, gid, at):
                    reply = reply_to_sender(event, "help", texts.stopped(language))
                await self._switched(key, stopped=True, action_id=f"{gid}:stop", now=now)
            case Start():
                if await self._workers.opt_in(key, gid, at):
                    reply = reply_to_sender(event, "help", texts.restarted(language))
                await self._switched(key, stopped=False, action_id=f"{gid}:start", now=now)
            case _:
                assert_never(decision)
        if reply is not None:
            await self._bus.publish(reply)
        log.info("worker_message_handled", decision=decision.kind)

    async def _switched(self, key: str, *, stopped: bool, action_id: str, now: datetime) -> None:
        """Tell every case of the worker that messages stopped or resumed; a case that says so
        already records nothing, so a redelivery or a second STOP changes nothing."""
        switch = partial(Case.messages_switched, stopped=stopped, action_id=action_id, now=now)
        for case_id in await self._cases.ids_of_contact(key):
            try:
                await self._outbox.apply(case_id, switch)
            except CaseNotFound:
                continue

    async def withdraw(self, event: ContactWithdrawn) -> None:
        """Unlink a withdrawn contact from every case that holds it (idempotent: a redelivery finds none)."""
        withdraw = partial(Case.withdraw_contact, action_id=f"{event.id}:withdrawn", now=to_ms(self._clock()))
        case_ids = await self._cases.ids_of_contact(event.reporter_key)
        for case_id in case_ids:
            try:
                await self._outbox.apply(case_id, withdraw)
            except CaseNotFound:
                continue
        log.info("contact_withdrawn", channel=event.channel, cases=len(case_ids))

    async def close_superseded(self, decision: NewCase, case: Case) -> None:
        """Close the unroutable cases a routed follow-up replaced (idempotent)."""
        close = partial(Case.close_rerouted, replaced_by=case.case_id, now=to_ms(self._clock()))
        for case_id in decision.supersedes:
            try:
                await self._outbox.apply(case_id, close)
            except CaseNotFound:
                continue
