"""Worker texts (pure): true, in the factory's time zone in both languages, and one SMS segment each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.texts import _WHY, escalation_notice
from services.intake.segments import GSM7_BASIC, GSM7_EXTENSION, sms_segments
from services.router import texts
from services.router.progress import Progress
from shared.contracts import Language

DUE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# The longest values a text can hold: a two-digit month and day, a reference, the default zone.
LATE = datetime(2026, 12, 31, 8, 0, tzinfo=UTC)
REF = "ABCDE-FGHJK"


def test_ack_names_reference_and_deadlines_in_the_factorys_zone_in_both_languages() -> None:
    zh = texts.ack("zh", REF, DUE, DUE + timedelta(days=3), "committee")
    assert REF in zh and "3月2日18:00前受理" in zh and "（北京时间）" in zh and "委员会" in zh
    en = texts.ack("en", REF, DUE, DUE + timedelta(days=3), "independent")
    assert "2 Mar 18:00" in en and "5 Mar 18:00" in en and "(China time)" in en and "independent" in en
    assert "UTC" not in en


def test_another_zone_is_named_by_its_offset() -> None:
    en = texts.ack("en", REF, DUE, DUE, "committee", "Asia/Ho_Chi_Minh")
    assert "2 Mar 17:00" in en and "(UTC+7)" in en
    zh = texts.ack("zh", REF, DUE, DUE, "committee", "Asia/Kolkata")
    assert "3月2日15:30" in zh and "UTC+5:30" in zh


def test_a_critical_case_says_the_monitor_follows_it_and_an_unroutable_one_asks_and_says_who_holds_it() -> (
    None
):
    assert "独立机构也跟进" in texts.ack("zh", REF, DUE, DUE, "both")
    assert "independent monitor follows it" in texts.ack("en", REF, DUE, DUE, "both")
    zh, en = texts.ask_factory_code("zh", REF), texts.ask_factory_code("en", REF)
    assert "工厂编号" in zh and "独立机构" in zh
    assert "factory" in en and "independent monitor" in en


@pytest.mark.parametrize(
    ("progress", "zh", "en"),
    [
        (Progress("assigned", False, None), "前受理", "To acknowledge by"),
        (
            Progress("assigned", True, "acknowledge"),
            "独立机构已跟进。受理已逾期",
            "The acknowledgement is overdue",
        ),
        (Progress("acknowledged", True, "resolve"), "答复已逾期", "The answer is overdue"),
        (Progress("unassigned", True, None), "由独立机构处理", "with an independent organisation"),
        (Progress("reopened", True, None), "独立机构已跟进", "an independent monitor follows it"),
        (Progress("closed", False, None), "已结案", "closed"),
    ],
)
def test_status_tells_the_truth(progress: Progress, zh: str, en: str) -> None:
    assert zh in texts.status("zh", REF, progress, DUE, DUE)
    assert en in texts.status("en", REF, progress, DUE, DUE)


def test_resolution_check_asks_for_yes_or_no() -> None:
    assert "是" in texts.resolution_check("zh", REF, "已解决") and "否" in texts.resolution_check(
        "zh", REF, "已解决"
    )
    assert "YES or NO" in texts.resolution_check("en", REF, "done")


PROGRESSES = [
    Progress(status, ngo, overdue)
    for status in ("assigned", "unassigned", "acknowledged", "resolved", "reopened", "closed")
    for ngo in (False, True)
    for overdue in (None, "acknowledge", "resolve")
]
# Every text with a fixed shape, at its longest. Texts that carry someone's words (a committee's
# reply, a resolution) or a list (several cases) are not bound to one segment.
TEMPLATES: dict[str, Callable[[Language], list[str]]] = {
    "ack": lambda lang: [texts.ack(lang, REF, LATE, LATE, h) for h in ("committee", "independent", "both")],
    "ack_hk": lambda lang: [texts.ack(lang, REF, LATE, LATE, "independent", "Asia/Hong_Kong")],
    "ask_factory_code": lambda lang: [texts.ask_factory_code(lang, REF)],
    "acknowledged": lambda lang: [texts.acknowledged(lang, REF)],
    "status": lambda lang: [texts.status(lang, REF, p, LATE, LATE) for p in PROGRESSES],
    "no_case": lambda lang: [texts.no_case(lang)],
    "added_to_case": lambda lang: [texts.added_to_case(lang, REF)],
    "which_case": lambda lang: [texts.which_case(lang, [REF, REF])],
    "confirmed": lambda lang: [texts.confirmed(lang, REF)],
    "disputed": lambda lang: [texts.disputed(lang, REF)],
    "stopped": lambda lang: [texts.stopped(lang)],
    "restarted": lambda lang: [texts.restarted(lang)],
    "help": lambda lang: [texts.help_text(lang)],
    "escalation_notice": lambda lang: [escalation_notice(lang, REF, reason) for reason in _WHY[lang]],
}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_fits_one_sms_segment(name: str, language: Language) -> None:
    for text in TEMPLATES[name](language):
        assert sms_segments(text) == 1, (name, len(text), text)


def test_english_texts_stay_in_the_gsm_alphabet() -> None:
    """An English text with one character outside GSM-7 would travel as UCS-2, 70 to a segment."""
    for make in TEMPLATES.values():
        for text in make("en"):
            assert set(text) <= GSM7_BASIC | GSM7_EXTENSION, text


def test_segments_are_counted_as_carriers_count_them() -> None:
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("工" * 70) == 1 and sms_segments("工" * 71) == 2
    assert sms_segments("[" * 80) == 1 and sms_segments("[" * 81) == 2  # the extension takes two places
    assert sms_segments("a" * 159 + "’") == 3  # one curly quote makes the text UCS-2


def test_a_deadline_met_late_leaves_the_case_with_the_monitor() -> None:
    from services.router.progress import StatusFacts, progress

    base = {"reference": REF, "category": "wages", "severity": "normal", "committee_id": "c"}
    due = {"ack_due_at": DUE, "resolve_due_at": DUE + timedelta(days=7)}
    on_time = StatusFacts(**base, **due, status="acknowledged", acknowledged_at=DUE - timedelta(hours=1))
    late = StatusFacts(**base, **due, status="acknowledged", acknowledged_at=DUE + timedelta(hours=1))
    now = DUE + timedelta(days=1)
    assert progress(on_time, now).with_ngo is False and progress(late, now).with_ngo is True
    assert progress(late, now).overdue is None
    assert progress(late, DUE + timedelta(days=8)).overdue == "resolve"
