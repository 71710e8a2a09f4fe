"""The pure parts of the case page's one-time sign-in code: the code, its keyed hash, the check over
candidates, the message the case sends, its texts, and where a WeChat worker opts in to a notice."""

from __future__ import annotations

import re

import pytest

from services.router import texts
from services.router.case_page import subscribe_url
from services.router.code_sign_in_texts import TEXTS
from services.router.pin_gate import opened_by_code
from services.router.sign_in_code_store import NO_CODE, code_hash, new_code
from shared.ids import case_code
from shared.privacy import Keys
from shared.settings import Settings
from tests.unit.test_case_page_rules import facts
from tests.unit.test_router_case import AT, opened

REFERENCE = "K7M3P-9QXA2"


def test_a_code_is_six_random_digits() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(codes) > 190  # drawn, not derived


def test_a_codes_hash_is_bound_to_its_case_and_keyed(keys: Keys) -> None:
    assert code_hash(keys, "case-1", "123456") == code_hash(keys, "case-1", "123456")
    assert code_hash(keys, "case-1", "123456") != code_hash(keys, "case-2", "123456")
    assert "123456" not in code_hash(keys, "case-1", "123456") and code_hash(keys, "x", "1") != NO_CODE


def test_a_code_opens_only_its_own_case_among_the_candidates(keys: Keys) -> None:
    mine, other = facts(REFERENCE, None, keys), facts("K7M3P-9ABCD", None, keys)
    assert mine.case_id is not None and other.case_id is not None
    live = {mine.case_id: code_hash(keys, mine.case_id, "111111")}
    assert opened_by_code([other, mine], live, keys, "111111") == (mine, live[mine.case_id])
    assert opened_by_code([other, mine], live, keys, "222222") is None
    assert opened_by_code([other], live, keys, "111111") is None  # another case's code
    assert opened_by_code([], live, keys, "111111") is None  # the stand-in opens nothing
    assert opened_by_code([mine], {}, keys, "111111") is None  # no live code (expired, spent)


def test_the_case_sends_its_code_to_its_proven_contact_only() -> None:
    case = opened()
    message = case.sign_in_code("604318", "request-1", AT)
    assert message is not None and message.purpose == "sign_in_code" and message.code == "604318"
    assert message.sealed_contact == case.sealed_contact and "604318" in message.text
    assert case.sign_in_code("604318", "request-2", AT).id != message.id  # type: ignore[union-attr]
    unproven = case.model_copy(update={"contact_proven": False})
    assert unproven.sign_in_code("604318", "request-1", AT) is None
    assert case.model_copy(update={"sealed_contact": None}).sign_in_code("604318", "r", AT) is None


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_code_text_says_what_it_is_for_how_long_and_to_ignore_it(language: str) -> None:
    text = texts.sign_in_code(language, "604318")  # type: ignore[arg-type]
    assert "604318" in text and "10" in text
    assert ("忽略" if language == "zh" else "ignore") in text
    assert not any(word in text for word in ("投诉", "维权", "grievance", "complaint"))
    assert len(text) <= (70 if language == "zh" else 160)  # one SMS segment


def test_the_page_texts_are_in_both_languages() -> None:
    for key, by_language in TEXTS.texts.items():
        assert set(by_language) == {"zh", "en"}, key


def test_a_wechat_case_links_to_intakes_opt_in_when_intake_has_a_template() -> None:
    wechat = opened().model_copy(update={"channel": "wechat"})
    on = Settings(wechat_subscribe_template_id="tpl1", public_base_url="https://intake.example.org/")
    code = case_code(wechat.reference)
    assert subscribe_url(wechat, on) == f"https://intake.example.org/wechat/subscribe?code={code}"
    assert subscribe_url(wechat, Settings()) is None  # intake has no template to send it by
    assert subscribe_url(opened(), on) is None  # an SMS case
    assert subscribe_url(wechat.model_copy(update={"status": "closed"}), on) is None
