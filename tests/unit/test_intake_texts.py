"""Worker-facing texts, language detection and sender normalisation."""

from __future__ import annotations

import pytest

from services.intake.contacts import sender_of
from services.intake.texts import ACKNOWLEDGEMENTS, RECEIPTS, acknowledgement, detect_language, instant_reply
from tests.fakes import WORKER_PHONE, sensitive


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("工厂锁了安全出口", "zh"),
        ("GZ001 老板不发工资", "zh"),
        ("The fire exit is locked", "en"),
        ("", "en"),
        ("１２３ ！", "en"),  # full-width digits and punctuation are not Chinese text
        ("\U00020000", "zh"),  # extension B ideograph
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_acknowledgements_carry_the_reference() -> None:
    zh = acknowledgement("ABCDE-FGHJK", "zh")
    en = acknowledgement("ABCDE-FGHJK", "en")
    assert "ABCDE-FGHJK" in zh and "编号" in zh
    assert "ABCDE-FGHJK" in en and en.startswith("We received")


def test_acknowledgements_fit_one_sms_segment() -> None:
    reference = "ABCDE-FGHJK"
    # UCS-2 holds 70 characters per segment; GSM-7 holds 160.
    assert len(ACKNOWLEDGEMENTS["zh"].format(reference=reference)) <= 70
    assert len(ACKNOWLEDGEMENTS["en"].format(reference=reference)) <= 160


LOCAL = sensitive("139 1234 5678")
WHATSAPP = sensitive("whatsapp:+8613912345678")
WECHAT_ID = sensitive("o6_bmjrPTlm6_2sgVt7hMZOPfL2M")


def test_sender_of_normalises_phone_numbers() -> None:
    assert sender_of(LOCAL, "CN").address == WORKER_PHONE
    assert sender_of(f" {WORKER_PHONE} ", "CN").identity == WORKER_PHONE


def test_sender_of_keeps_the_channel_prefix_for_replies() -> None:
    sender = sender_of(WHATSAPP, "CN")
    assert sender.address == WHATSAPP
    assert sender.identity == WORKER_PHONE


def test_sender_of_keeps_ids_that_are_not_numbers() -> None:
    sender = sender_of(WECHAT_ID, "CN")
    assert sender.address == sender.identity == WECHAT_ID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("老板三个月没发工资", "reference"),
        ("新投诉 宿舍没有热水", "reference"),  # NEW opens a grievance: it gets its reference
        ("NEW the dormitory has no hot water", "reference"),
        ("否", None),
        ("status", None),
        ("ＳＴＯＰ", None),
        ("帮助", None),
        ("ABCDE-FGHJK 今天又锁门了", "receipt"),
        ("about abcdefghjk: still no pay", "receipt"),
        ("是我们车间的安全出口被锁了", "reference"),  # begins with 是 but is a grievance
    ],
)
def test_instant_reply_gives_a_reference_only_to_what_may_be_a_new_grievance(
    text: str, expected: str | None
) -> None:
    language = detect_language(text)
    reply = instant_reply(text, "KMNPQ-RSTUV", language)
    if expected is None:
        assert reply is None
    elif expected == "receipt":
        assert reply == RECEIPTS[language]
    else:
        assert reply == acknowledgement("KMNPQ-RSTUV", language)
