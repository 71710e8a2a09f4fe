"""The notification model and its words: reference, category and deadline only, in the reader's zone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.notify.config import NotifyConfig
from services.notify.model import Notification, NotificationKind, Recipient, assigned
from services.notify.render import CATEGORY_NAMES, RenderContext, local_time, render
from services.notify.smtp import build_message
from shared.contracts import CATEGORIES, CaseAssigned
from tests.fakes import WORKER_PHONE, sensitive

REFERENCE = "K7M3P-9QXA2"
DEADLINE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
KINDS: tuple[NotificationKind, ...] = ("case_assigned", "worker_message", "deadline_soon", "escalated")
CONTEXT = RenderContext(
    committee_console_url="https://router.example.org/console/cases/{reference}",
    ngo_console_url="https://escalation.example.org/console/cases/{reference}",
)


def recipient(kind: str = "committee", **notify: Any) -> Recipient:
    notify = notify or {"email": ["spt@factory.example.cn"]}
    return Recipient(kind=kind, id="gz-001-spt", notify=NotifyConfig.model_validate(notify))


def notification(kind: NotificationKind = "case_assigned", **notify: Any) -> Notification:
    return Notification.build(
        kind, reference=REFERENCE, category="health_safety", deadline=DEADLINE, recipient=recipient(**notify)
    )


def test_the_model_has_no_field_for_worker_data() -> None:
    """The whole surface: nothing a worker wrote or can be reached at has a place to go."""
    assert set(Notification.model_fields) == {
        "kind",
        "reference",
        "category",
        "deadline",
        "language",
        "recipient",
    }
    assert set(Recipient.model_fields) == {"kind", "id", "notify"}
    assert set(NotifyConfig.model_fields) == {"wecom", "dingtalk", "email", "language", "timezone"}
    base = notification().model_dump()
    for extra in ("text", "contact", "sealed_contact", "message", "body", "note"):
        with pytest.raises(ValidationError, match="Extra inputs"):
            Notification.model_validate({**base, extra: "车间安全出口被锁了"})


def test_the_deadline_must_be_aware_and_the_reference_a_reference() -> None:
    base = notification().model_dump()
    with pytest.raises(ValidationError):
        Notification.model_validate({**base, "deadline": datetime(2026, 3, 2, 8, 0)})  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValidationError):
        Notification.model_validate({**base, "reference": "车间安全出口被锁了"})


def test_language_comes_from_the_recipient_and_defaults_to_chinese() -> None:
    assert notification().language == "zh"
    assert notification(email=["a@x.example"], language="en").language == "en"


@pytest.mark.parametrize("kind", KINDS)
def test_chinese_texts(kind: NotificationKind) -> None:
    rendered = render(notification(kind), CONTEXT)
    text = rendered.text()
    assert rendered.title.startswith("【工人反馈】") and REFERENCE in rendered.title
    assert "类别：健康与安全" in text
    # 08:00 UTC is 16:00 in Shanghai.
    assert "2026-03-02 16:00（UTC+8）" in text
    assert text.endswith("查看案件：https://router.example.org/console/cases/K7M3P-9QXA2")
    assert len(text.splitlines()) == 4


@pytest.mark.parametrize("kind", KINDS)
def test_english_texts(kind: NotificationKind) -> None:
    rendered = render(notification(kind, email=["a@x.example"], language="en"), CONTEXT)
    text = rendered.text()
    assert rendered.title.startswith("[Grievance] ") and REFERENCE in rendered.title
    assert "Category: health and safety" in text
    assert "2026-03-02 16:00 (UTC+8)" in text
    assert "Open the case: https://router.example.org/console/cases/K7M3P-9QXA2" in text


def test_each_kind_says_something_different() -> None:
    for language in ("zh", "en"):
        titles = {
            render(notification(k, email=["a@x.example"], language=language), CONTEXT).title for k in KINDS
        }
        assert len(titles) == len(KINDS)
    assert "前确认受理" in render(notification("case_assigned"), CONTEXT).text()
    assert "升级" in render(notification("escalated"), CONTEXT).title


def test_the_recipients_own_zone_wins_over_the_default() -> None:
    text = render(notification(email=["a@x.example"], timezone="Europe/London"), CONTEXT).text()
    assert "2026-03-02 08:00（UTC+0）" in text
    other_default = RenderContext(default_timezone="America/New_York")
    assert "2026-03-02 03:00（UTC-5）" in render(notification(), other_default).text()


def test_local_time_offsets() -> None:
    assert local_time(DEADLINE, "Asia/Shanghai") == "2026-03-02 16:00 (UTC+8)"
    assert local_time(DEADLINE, "Asia/Kolkata") == "2026-03-02 13:30 (UTC+5:30)"
    assert local_time(DEADLINE, "America/St_Johns") == "2026-03-02 04:30 (UTC-3:30)"
    # Any aware datetime, whatever zone it carries.
    assert local_time(DEADLINE.astimezone(timezone(timedelta(hours=-7))), "UTC") == "2026-03-02 08:00 (UTC+0)"


def test_the_ngo_console_for_ngos_and_no_link_without_a_console() -> None:
    ngo = Notification.build(
        "escalated",
        reference=REFERENCE,
        category="wages",
        deadline=DEADLINE,
        recipient=recipient("ngo"),
    )
    assert render(ngo, CONTEXT).link == "https://escalation.example.org/console/cases/K7M3P-9QXA2"
    bare = render(notification(), RenderContext())
    assert bare.link is None
    assert "http" not in bare.text() and "http" not in bare.markdown()
    assert bare.text().endswith("请登录控制台查看案件。")


def test_markdown_carries_the_same_facts_and_a_link() -> None:
    markdown = render(notification(), CONTEXT).markdown()
    assert markdown.startswith("**【工人反馈】新案件 K7M3P-9QXA2 已分配给您**")
    assert "类别：健康与安全" in markdown
    assert "[查看案件](https://router.example.org/console/cases/K7M3P-9QXA2)" in markdown


def test_every_category_has_a_name_and_every_text_is_short() -> None:
    for language in ("zh", "en"):
        assert set(CATEGORY_NAMES[language]) == set(CATEGORIES)
        for category in CATEGORIES:
            for kind in KINDS:
                n = Notification.build(
                    kind,
                    reference=REFERENCE,
                    category=category,  # type: ignore[arg-type]
                    deadline=DEADLINE,
                    recipient=recipient(email=["a@x.example"], language=language),
                )
                rendered = render(n, CONTEXT)
                assert len(rendered.text().encode()) < 400
                assert len(rendered.markdown().encode()) < 500


def _case_assigned(text: str, contact: str | None) -> CaseAssigned:
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    return CaseAssigned(
        correlation_id=uuid.uuid4(),
        case_id=str(uuid.uuid4()),
        reference=REFERENCE,
        factory_id="GZ-001",
        committee_id="gz-001-spt",
        category="health_safety",
        severity="critical",
        ack_due_at=now + timedelta(hours=2),
        resolve_due_at=now + timedelta(days=3),
        channel="sms",
        language="zh",
        text=text,
        sealed_contact=contact,
        created_at=now,
    )


def _everything_rendered(n: Notification) -> str:
    rendered = render(n, CONTEXT)
    mail = build_message(
        rendered, sender="notify@grievance.example.org", recipients=["a@x.example"], at=DEADLINE
    )
    # The mail both as sent (encoded) and as read (decoded), so neither encoding can hide a leak.
    parts = (mail.as_string(), str(mail["Subject"]), mail.get_content(), n.model_dump_json())
    return "\n".join((rendered.title, rendered.text(), rendered.markdown(), *parts))


def test_a_case_assigned_event_gives_its_reference_category_and_ack_deadline_only() -> None:
    worker_text = sensitive("宿舍楼的安全出口每天晚上都被锁住，我叫张伟，电话13912345678")
    n = assigned(_case_assigned(worker_text, WORKER_PHONE), recipient())
    assert (n.kind, n.reference, n.category) == ("case_assigned", REFERENCE, "health_safety")
    assert n.deadline == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    everything = _everything_rendered(n)
    for leak in (worker_text, "张伟", "13912345678", WORKER_PHONE, "宿舍"):
        assert leak not in everything


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(min_size=1, max_size=300).filter(str.strip),
    contact=st.one_of(st.none(), st.from_regex(r"\+861[3-9][0-9]{9}", fullmatch=True)),
)
def test_no_worker_text_or_contact_reaches_anything_rendered(text: str, contact: str | None) -> None:
    marker = f"W{uuid.uuid4().hex}"
    worker_text = f"{text}{marker}"
    n = assigned(_case_assigned(worker_text, contact), recipient())
    everything = _everything_rendered(n)
    assert marker not in everything
    if contact:
        assert contact not in everything and contact.removeprefix("+86") not in everything


def test_the_mail() -> None:
    rendered = render(notification(), CONTEXT)
    mail = build_message(
        rendered,
        sender="notify@grievance.example.org",
        recipients=["a@x.example", "b@x.example"],
        at=DEADLINE,
    )
    assert mail["Subject"] == rendered.title
    assert mail["To"] == "a@x.example, b@x.example"
    assert mail["Date"] == "Mon, 02 Mar 2026 08:00:00 +0000"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Content-Language"] == "zh-Hans"
    assert mail["Message-ID"].endswith("@grievance.example.org>")
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail.get_content() == rendered.text() + "\n"
