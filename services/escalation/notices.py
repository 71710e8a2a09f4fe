"""The NGO and the committee are told of escalations, the committee of deadlines drawing near.

The consumer of ``notifications.escalations``: ``case.escalated`` (the sweeper's and the consumer's)
and ``case.deadline_soon`` (:mod:`services.escalation.reminders`). A queue of its own, so a robot or
a mail server that is down holds up notifications only, never a record or an escalation. Each event
is told at most once per recipient and channel (:func:`services.notify.relay.tell`, keyed by the
event id). The category and the deadline come from escalation's own record of the case; nothing of
the worker does.

Who hears of an escalation:

- every NGO of the registry's ``ngos`` whose ``factories`` cover the case's factory (an NGO without
  ``factories`` covers all, and alone hears of a case without a factory);
- the committee holding the case, for a deadline it missed (``ack_overdue``, ``resolution_overdue``),
  a worker's dispute (``disputed``) or a ``critical`` case: it goes on working on the case beside the
  monitor. Never for ``retaliation``, ``conflict_of_interest`` or ``unroutable``: such a case has
  left the committee (or never had one), and telling it could warn the very people the worker named.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from services.escalation import store
from services.escalation.records import CaseRecord
from services.notify.config import Channel
from services.notify.directory import Directory
from services.notify.dispatch import Notifier
from services.notify.ledger import Ledger
from services.notify.model import Notification, Recipient
from services.notify.relay import tell
from shared.contracts import CaseDeadlineSoon, CaseEscalated, EscalationReason
from shared.handlers import Handlers
from shared.store import Database

log = structlog.get_logger(__name__)

QUEUE = "notifications.escalations"
COMMITTEE_TOLD: frozenset[EscalationReason] = frozenset(
    {"ack_overdue", "resolution_overdue", "disputed", "critical"}
)


class EscalationNotices:
    def __init__(
        self, *, db: Database, directory: Directory, ledger: Ledger, notifiers: Mapping[Channel, Notifier]
    ) -> None:
        self._db = db
        self._directory = directory
        self._ledger = ledger
        self._notifiers = notifiers

    async def on_escalated(self, event: CaseEscalated) -> None:
        record = await store.load_record(self._db, event.case_id)
        if record is None or record.state is None:
            # Escalations are opened from records: a missing one is a store out of step; try later.
            raise LookupError("no record for the escalated case yet")
        recipients = await self._directory.ngos_for(event.factory_id)
        committee_id = record.state.committee_id
        if event.reason in COMMITTEE_TOLD and committee_id is not None:
            committee = await self._directory.committee(committee_id)
            recipients += [committee] if committee is not None else []
        await self._tell(str(event.id), [_escalated(record, r) for r in recipients])

    async def on_deadline_soon(self, event: CaseDeadlineSoon) -> None:
        record = await store.load_record(self._db, event.case_id)
        state = record.state if record else None
        # Acknowledged, handed on or recategorised since the reminder was published: nothing to say.
        if state is None or state.committee_id != event.committee_id or state.acknowledged_at is not None:
            log.info("deadline_reminder_moot", case_id=event.case_id)
            return
        if state.ack_due_at != event.due_at:
            log.info("deadline_reminder_moot", case_id=event.case_id)
            return
        recipient = await self._directory.committee(event.committee_id)
        if recipient is None:
            return
        notification = Notification.build(
            "deadline_soon",
            reference=event.reference,
            category=state.category,
            deadline=event.due_at,
            recipient=recipient,
        )
        await self._tell(str(event.id), [notification])

    async def _tell(self, key: str, notifications: list[Notification]) -> None:
        if notifications:
            await tell(notifications, key=key, notifiers=self._notifiers, ledger=self._ledger)


def _escalated(record: CaseRecord, recipient: Recipient) -> Notification:
    """The escalation notice: the case's next deadline, acknowledgement until acknowledged."""
    state = record.state
    assert state is not None
    deadline = state.resolve_due_at if state.acknowledged_at is not None else state.ack_due_at
    return Notification.build(
        "escalated",
        reference=record.reference,
        category=state.category,
        deadline=deadline,
        recipient=recipient,
    )


def handlers(notices: EscalationNotices) -> Handlers:
    return (
        Handlers(QUEUE).on(CaseEscalated, notices.on_escalated).on(CaseDeadlineSoon, notices.on_deadline_soon)
    )
