"""Worker-facing texts, language detection and sender normalisation."""

from __future__ import annotations

import pytest

from services.intake.contacts import sender_of
from services.intake.texts import detect_language
from tests.fakes import WORKER_PHONE, sensitive


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("工厂锁了安全出口", "zh"),
        ("GZ001 老板不发工资", "zh"),
        ("The fire exit is locked", "en"),
        ("", "en"),
        ("１２３", "en"),  # full-width digits alone are not Chinese text
        ("？", "zh"),  # but a Chinese keyboard's punctuation is: help in Chinese
        ("?", "en"),
        ("ok！", "zh"),
        ("状态", "zh"),
        ("TD", "zh"),  # the Chinese carriers' unsubscribe word
        ("ｔｄ", "zh"),
        ("STOP", "en"),
        ("\U00020000", "zh"),  # extension B ideograph
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


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
