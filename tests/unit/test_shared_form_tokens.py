"""CSRF tokens of anonymous forms: signed, bound to a cookie, dated, one purpose each (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared import form_tokens as form_token
from shared.form_tokens import TokenRefused
from shared.privacy import Keys

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
KEYS = Keys(pseudonym_key=b"k" * 32)
OTHER_KEYS = Keys(pseudonym_key=b"o" * 32)
P = "webform"


def test_a_token_checks_out_for_its_cookie_within_its_lifetime() -> None:
    nonce = form_token.new_nonce()
    token = form_token.issue(KEYS, P, nonce, NOW)
    assert form_token.usable_nonce(nonce)
    assert form_token.check(KEYS, P, token.value, nonce, NOW + form_token.LIFETIME) == token
    assert len(token.form_id) == 32  # a valid idempotency key of the JSON API
    assert form_token.issue(KEYS, P, nonce, NOW).form_id != token.form_id  # every form is new


@pytest.mark.parametrize(
    "tamper",
    [
        lambda value: value.replace(value.split(".")[1], form_token.new_nonce()),  # another form id
        lambda value: str(int(value.split(".")[0]) + 60) + value[value.index(".") :],  # re-dated
        lambda value: value[:-1] + ("a" if value[-1] != "a" else "b"),  # another signature
        lambda value: value + ".1",
        lambda value: "",
    ],
)
def test_a_changed_token_is_refused(tamper: Any) -> None:
    nonce = form_token.new_nonce()
    value = form_token.issue(KEYS, P, nonce, NOW).value
    with pytest.raises(TokenRefused):
        form_token.check(KEYS, P, tamper(value), nonce, NOW)


def test_a_token_is_refused_for_another_cookie_another_key_or_out_of_time() -> None:
    nonce = form_token.new_nonce()
    value = form_token.issue(KEYS, P, nonce, NOW).value
    for keys, cookie, now in [
        (KEYS, form_token.new_nonce(), NOW),
        (KEYS, None, NOW),
        (KEYS, "short", NOW),
        (OTHER_KEYS, nonce, NOW),
        (KEYS, nonce, NOW + form_token.LIFETIME + timedelta(seconds=1)),
        (KEYS, nonce, NOW - form_token.SKEW - timedelta(seconds=1)),
    ]:
        with pytest.raises(TokenRefused):
            form_token.check(keys, P, value, cookie, now)
    assert form_token.check(KEYS, P, value, nonce, NOW - form_token.SKEW).value == value


def test_a_far_future_date_is_refused_not_an_overflow() -> None:
    nonce = form_token.new_nonce()
    token = form_token.issue(KEYS, P, nonce, datetime(9999, 1, 1, tzinfo=UTC))
    with pytest.raises(TokenRefused):
        form_token.check(KEYS, P, token.value, nonce, NOW)


def test_a_token_of_one_form_is_no_token_of_another() -> None:
    nonce = form_token.new_nonce()
    value = form_token.issue(KEYS, "webform", nonce, NOW).value
    with pytest.raises(TokenRefused):
        form_token.check(KEYS, "contact-confirm", value, nonce, NOW)
