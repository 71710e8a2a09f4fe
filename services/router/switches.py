"""The worker's say over the router's texts: STOP, START, and a contact withdrawn by its channel.

STOP and START are recorded per reporter key (:meth:`~services.router.worker_store.WorkerStore.opt_out`,
``opt_in``: only the message that switched says so, so a redelivery or a second STOP answers
nothing) and told to every case of the worker (``Case.messages_switched``), so the committee sees
that its messages no longer reach them. A withdrawn contact (a WeChat unfollow) leaves every case
that holds it; the cases stay. Each case change carries an action id derived from the message, so
a redelivery changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

import structlog

from services.router.case import Case, Outcome
from services.router.case_store import CaseStore
from services.router.errors import CaseNotFound
from services.router.outbox import Outbox
from services.router.worker_store import WorkerStore
from shared.contracts import ContactWithdrawn
from shared.runtime import Clock
from shared.store import to_ms

log = structlog.get_logger(__name__)


async def switch(
    key: str,
    grievance_id: str,
    *,
    stopped: bool,
    at: datetime,
    now: datetime,
    workers: WorkerStore,
    cases: CaseStore,
    outbox: Outbox,
) -> bool:
    """Record STOP (``stopped``) or START and tell the worker's cases; True when this very message
    switched texts off or back on."""
    if stopped:
        switched = await workers.opt_out(key, grievance_id, at)
    else:
        switched = await workers.opt_in(key, grievance_id, at)
    action_id = f"{grievance_id}:{'stop' if stopped else 'start'}"
    change = partial(Case.messages_switched, stopped=stopped, action_id=action_id, now=now)
    await _every_case(key, change, cases=cases, outbox=outbox)
    return switched


async def withdraw(event: ContactWithdrawn, *, cases: CaseStore, outbox: Outbox, clock: Clock) -> None:
    """Unlink a withdrawn contact from every case that holds it (idempotent: a redelivery finds none)."""
    change = partial(Case.withdraw_contact, action_id=f"{event.id}:withdrawn", now=to_ms(clock()))
    count = await _every_case(event.reporter_key, change, cases=cases, outbox=outbox)
    log.info("contact_withdrawn", channel=event.channel, cases=count)


async def _every_case(key: str, change: partial[Outcome], *, cases: CaseStore, outbox: Outbox) -> int:
    """Apply the change to every case of the contact; a case that says so already records nothing."""
    case_ids = await cases.ids_of_contact(key)
    for case_id in case_ids:
        try:
            await outbox.apply(case_id, change)
        except CaseNotFound:
            continue
    return len(case_ids)
