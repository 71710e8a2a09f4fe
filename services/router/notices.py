"""The committee is told of its new cases and of workers' messages: the ``notifications.cases`` consumer.

It reads the router's own ``case.assigned`` and ``case.updated`` from a queue of its own, so a robot
or a mail server that is down holds up notifications and never a case: the case was stored and its
events published before anything here runs. Each event is told at most once per channel
(:func:`services.notify.relay.tell`, keyed by the event id), and only what the event already says
is used: the reference, the category and a deadline, never the worker's words, which
``case.assigned`` carries for escalation's sake.

- ``case.assigned`` to a committee, and ``case.updated`` that hands a case to a committee
  (``transferred`` by the NGO, ``recused`` to another committee): ``case_assigned``, acknowledge by
  ``ack_due_at``. A case without a committee is the NGO's, which escalation tells.
- ``case.updated`` ``worker_replied`` on a case a committee holds and has not closed:
  ``worker_message``, due at the acknowledgement deadline while unacknowledged, else the resolution's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.notify.config import Channel
from services.notify.directory import Directory
from services.notify.dispatch import Notifier
from services.notify.ledger import Ledger
from services.notify.model import Notification, NotificationKind, assigned
from services.notify.relay import tell
from shared.contracts import CaseAssigned, CaseUpdated
from shared.handlers import Handlers

QUEUE = "notifications.cases"
HANDED_OVER = ("transferred", "recused")


class CommitteeNotices:
    def __init__(
        self, *, directory: Directory, ledger: Ledger, notifiers: Mapping[Channel, Notifier]
    ) -> None:
        self._directory = directory
        self._ledger = ledger
        self._notifiers = notifiers

    async def on_assigned(self, event: CaseAssigned) -> None:
        if event.committee_id is None:
            return
        recipient = await self._directory.committee(event.committee_id)
        if recipient is not None:
            await self._tell(str(event.id), assigned(event, recipient))

    async def on_updated(self, event: CaseUpdated) -> None:
        notice = notice_for(event)
        if notice is None or event.committee_id is None or event.category is None:
            return
        kind, deadline = notice
        recipient = await self._directory.committee(event.committee_id)
        if recipient is None:
            return
        notification = Notification.build(
            kind, reference=event.reference, category=event.category, deadline=deadline, recipient=recipient
        )
        await self._tell(str(event.id), notification)

    async def _tell(self, key: str, notification: Notification) -> None:
        await tell([notification], key=key, notifiers=self._notifiers, ledger=self._ledger)


def notice_for(event: CaseUpdated) -> tuple[NotificationKind, datetime] | None:
    """What the committee holding the case after ``event`` is told, and its deadline (pure)."""
    if event.committee_id is None or event.ack_due_at is None or event.resolve_due_at is None:
        return None
    if event.action in HANDED_OVER and event.status != "closed":
        return "case_assigned", event.ack_due_at
    if event.action == "worker_replied" and event.status != "closed":
        return "worker_message", event.ack_due_at if event.status == "assigned" else event.resolve_due_at
    return None


def handlers(notices: CommitteeNotices) -> Handlers:
    return Handlers(QUEUE).on(CaseAssigned, notices.on_assigned).on(CaseUpdated, notices.on_updated)
