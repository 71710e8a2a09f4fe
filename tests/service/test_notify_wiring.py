"""The wiring of notifications on the test store and the in-memory bus: the registry's directory, the
once-per-deadline reminder, the per-channel ledger and who is told of what (fake notifiers)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.escalation import consumer, reminders
from services.escalation import store as escalation_store
from services.escalation.notices import EscalationNotices
from services.notify.config import Channel
from services.notify.directory import Directory
from services.notify.errors import TransientNotifyError
from services.notify.ledger import LEASE, Ledger
from services.notify.model import Notification, Recipient
from services.notify.relay import NotificationsPending, tell
from services.router.registry import RegistryError, load_registry
from shared.contracts import CaseDeadlineSoon, CaseEscalated
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.store import Database, ensure_indexes
from tests.fakes import FakeClock, memory_bus_of, present
from tests.service.escalation_support import assigned, record_of, safe_uuid, updated
from tests.service.router_support import REGISTRY

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=spt-secret-key"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=ngo-secret-token"


class FakeNotifier:
    """A channel that records what it was given and fails as told."""

    def __init__(self, channel: Channel, failures: list[Exception] | None = None) -> None:
        self.channel = channel
        self.sent: list[Notification] = []
        self.failures = failures or []

    async def send(self, notification: Notification) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(notification)


def registry(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(Path(REGISTRY).read_text(encoding="utf-8"))
    for factory in data["factories"]:
        for committee in factory["committees"]:
            if committee["id"] == "gz-001-spt":
                committee["notify"] = changes.get(
                    "spt", {"wecom": WECOM, "email": ["spt@factory.example.cn"]}
                )
    data["ngos"] = changes.get(
        "ngos",
        [
            {
                "id": "gd-watch",
                "name": "Guangdong Watch",
                "factories": ["GZ-001"],
                "notify": {"dingtalk": {"url": DINGTALK}},
            },
            {"id": "all-watch", "name": "Everywhere Watch", "notify": {"email": ["desk@ngo.example.org"]}},
        ],
    )
    return data


@pytest.fixture
async def rt(runtime: Runtime) -> Runtime:
    await ensure_indexes(runtime.db, escalation_store.INDEXES)
    await load_registry(runtime.db, registry())
    return runtime


async def test_the_registry_fills_the_directory_and_a_reload_replaces_it(rt: Runtime) -> None:
    directory = Directory(rt.db)
    spt = await directory.committee("gz-001-spt")
    assert spt is not None and spt.notify.wecom is not None
    assert spt.notify.wecom.get_secret_value() == WECOM  # kept to send with, masked everywhere else
    assert "spt-secret-key" not in repr(spt)
    assert await directory.committee("gz-001-women") is None
    assert [n.id for n in await directory.ngos_for("GZ-001")] == ["all-watch", "gd-watch"]
    assert [n.id for n in await directory.ngos_for("DG-002")] == ["all-watch"]
    assert [n.id for n in await directory.ngos_for(None)] == ["all-watch"]

    counts = await load_registry(rt.db, registry(ngos=[]))
    assert counts["notify_recipients"] == 1
    assert await directory.ngos_for("GZ-001") == []


async def test_a_bad_notify_block_is_refused_without_its_credential(rt: Runtime) -> None:
    bad = registry(spt={"wecom": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=leaky-key"})
    with pytest.raises(RegistryError) as refused:
        await load_registry(rt.db, bad)
    assert "https" in str(refused.value) and "leaky-key" not in str(refused.value)
    twice = registry(ngos=[{"id": "x", "name": "X", "notify": {"email": ["a@ngo.example.org"]}}] * 2)
    with pytest.raises(RegistryError, match="NGO ids must be unique"):
        await load_registry(rt.db, twice)


def reminders_published(rt: Runtime) -> list[CaseDeadlineSoon]:
    return [e for e in memory_bus_of(rt).published if isinstance(e, CaseDeadlineSoon)]


async def test_the_reminder_is_published_once_per_deadline_across_passes_and_replicas(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys, sla=rt.settings.sla)  # normal: 48 h to acknowledge
    await consumer.apply_event(rt.db, rt.settings.sla, rt.clock, case)
    sla = rt.settings.sla

    clock.advance(hours=35)  # 73 %
    assert await reminders.remind_once(rt.db, rt.bus, sla, clock(), 0.75) == 0
    clock.advance(hours=2)  # 77 %
    passes = [await reminders.remind_once(rt.db, rt.bus, sla, clock(), 0.75) for _ in range(4)]
    assert passes == [1, 0, 0, 0]
    [reminder] = reminders_published(rt)
    assert (reminder.reference, reminder.committee_id, reminder.category) == (
        case.reference,
        "gz-001-spt",
        "wages",
    )
    assert reminder.due_at == case.ack_due_at

    # Recategorised to high: a new deadline (24 h from receipt, already past 75 %), a reminder of its own.
    raised = updated(
        case,
        "recategorised",
        clock(),
        status="assigned",
        severity="high",
        ack_due_at=case.created_at + timedelta(hours=40),
        resolve_due_at=case.created_at + timedelta(days=7),
    )
    await consumer.apply_event(rt.db, rt.settings.sla, rt.clock, raised)
    assert await reminders.remind_once(rt.db, rt.bus, sla, clock(), 0.75) == 1
    assert await reminders.remind_once(rt.db, rt.bus, sla, clock(), 0.75) == 0
    first, second = reminders_published(rt)
    assert second.due_at == case.created_at + timedelta(hours=40) and second.id != first.id


async def test_no_reminder_for_an_acknowledged_case_or_one_without_a_committee(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    held = assigned(clock.now, keys=keys, sla=rt.settings.sla)
    orphan = assigned(
        clock.now,
        keys=keys,
        sla=rt.settings.sla,
        committee_id=None,
        factory_id=None,
        unassigned_reason="unroutable",
    )
    for event in (held, orphan):
        await consumer.apply_event(rt.db, rt.settings.sla, rt.clock, event)
    await consumer.apply_event(
        rt.db,
        rt.settings.sla,
        rt.clock,
        updated(held, "acknowledged", clock.now + timedelta(hours=1), status="acknowledged"),
    )
    clock.advance(hours=40)
    assert await reminders.remind_once(rt.db, rt.bus, rt.settings.sla, clock(), 0.75) == 0
    assert reminders_published(rt) == []


async def test_a_reminder_whose_publisher_died_is_published_again_with_the_same_id(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys, sla=rt.settings.sla)
    await consumer.apply_event(rt.db, rt.settings.sla, rt.clock, case)
    clock.advance(hours=40)
    # A replica claimed the reminder and died before publishing it.
    stored = await record_of(rt.db, case.case_id)
    rid = reminders.reminder_id(case.case_id, present(stored.pending.ack, "the pending acknowledgement"))
    await rt.db[escalation_store.REMINDERS].insert_one(
        {"_id": rid, "case_id": case.case_id, "published": False, "claimed_at": clock()}
    )
    assert await reminders.remind_once(rt.db, rt.bus, rt.settings.sla, clock(), 0.75) == 0  # its lease holds
    clock.advance(seconds=reminders.CLAIM_LEASE.total_seconds())
    assert await reminders.remind_once(rt.db, rt.bus, rt.settings.sla, clock(), 0.75) == 1
    [reminder] = reminders_published(rt)
    assert reminder.id == reminders.reminder_event(stored).id


def committee(**notify: Any) -> Recipient:
    return Recipient(
        kind="committee", id="gz-001-spt", notify=notify or {"wecom": WECOM, "email": ["a@f.example.cn"]}
    )


def told(recipient: Recipient) -> Notification:
    return Notification.build(
        "case_assigned",
        reference="K7M3P-9QXA2",
        category="wages",
        deadline=FakeClock().now,
        recipient=recipient,
    )


async def test_a_transient_failure_is_retried_on_its_channel_only_and_a_permanent_one_is_settled(
    db: Database,
) -> None:
    clock = FakeClock()
    ledger = Ledger(db, clock)
    wecom = FakeNotifier("wecom")
    email = FakeNotifier("email", [TransientNotifyError("email_dataerror_451")])
    notifiers: dict[Channel, FakeNotifier] = {"wecom": wecom, "email": email}
    notification = told(committee())
    with pytest.raises(NotificationsPending) as pending:
        await tell([notification], key="event-1", notifiers=notifiers, ledger=ledger)
    assert pending.value.channels == ("committee:gz-001-spt:email",)
    await tell([notification], key="event-1", notifiers=notifiers, ledger=ledger)
    await tell([notification], key="event-1", notifiers=notifiers, ledger=ledger)  # a late redelivery
    assert len(wecom.sent) == 1 and len(email.sent) == 1
    # Mail configured, no SMTP server: refused for good, recorded, not retried.
    bare: dict[Channel, FakeNotifier] = {"wecom": FakeNotifier("wecom")}
    await tell([notification], key="event-2", notifiers=bare, ledger=ledger)
    assert await ledger.state("event-2", notification.recipient, "email") == "refused"


async def test_a_channel_claimed_by_a_live_sender_waits_and_a_dead_senders_claim_runs_out(
    db: Database,
) -> None:
    clock = FakeClock()
    ledger = Ledger(db, clock)
    recipient = committee(wecom=WECOM)
    assert await ledger.claim("event-1", recipient, "wecom") == "mine"  # a sender that then died
    wecom = FakeNotifier("wecom")
    with pytest.raises(NotificationsPending):
        await tell([told(recipient)], key="event-1", notifiers={"wecom": wecom}, ledger=ledger)
    assert wecom.sent == []
    clock.advance(seconds=LEASE.total_seconds())
    await tell([told(recipient)], key="event-1", notifiers={"wecom": wecom}, ledger=ledger)
    assert len(wecom.sent) == 1


def escalated(case: Any, reason: str, factory_id: str | None = "GZ-001") -> CaseEscalated:
    return CaseEscalated(
        id=safe_uuid(),
        correlation_id=case.correlation_id,
        case_id=case.case_id,
        reference=case.reference,
        escalation_id=f"{case.case_id}:{reason}",
        reason=reason,
        factory_id=factory_id,
        at=case.created_at,
    )


@pytest.mark.parametrize(
    ("reason", "committee_told"),
    [
        ("ack_overdue", True),
        ("disputed", True),
        ("critical", True),
        ("conflict_of_interest", False),
        ("retaliation", False),
    ],
)
async def test_who_hears_of_an_escalation(
    rt: Runtime, clock: FakeClock, keys: Keys, reason: Any, committee_told: Any
) -> None:
    case = assigned(clock.now, keys=keys, sla=rt.settings.sla)
    await consumer.apply_event(rt.db, rt.settings.sla, rt.clock, case)
    channels: tuple[Channel, ...] = ("wecom", "dingtalk", "email")
    notifiers = {ch: FakeNotifier(ch) for ch in channels}
    notices = EscalationNotices(
        db=rt.db, directory=Directory(rt.db), ledger=Ledger(rt.db, clock), notifiers=notifiers
    )
    await notices.on_escalated(escalated(case, reason))
    heard = sorted((n.recipient.id, ch) for ch, fake in notifiers.items() for n in fake.sent)
    ngos = [("all-watch", "email"), ("gd-watch", "dingtalk")]
    spt = [("gz-001-spt", "email"), ("gz-001-spt", "wecom")] if committee_told else []
    assert heard == sorted([*ngos, *spt])
    assert {n.kind for fake in notifiers.values() for n in fake.sent} == {"escalated"}
    assert {n.deadline for fake in notifiers.values() for n in fake.sent} == {case.ack_due_at}
