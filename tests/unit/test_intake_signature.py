"""Twilio signatures: Twilio's published test vectors, and agreement with Twilio's own validator."""

from __future__ import annotations

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from services.intake.channels.twilio import (
    HMAC_SHA256,
    algorithm_from_settings,
    compute_signature,
    is_valid,
    twiml_message,
    url_variants,
)

# From twilio-python tests/unit/test_request_validator.py.
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
    ("Caller", "+14158675309"),
]
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
DUPLICATES = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
DUPLICATE_EXPECTED = "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_published_vector() -> None:
    assert compute_signature(TOKEN, URL, PARAMS) == EXPECTED
    assert is_valid(TOKEN, URL, PARAMS, EXPECTED)


def test_published_vector_with_repeated_parameters() -> None:
    assert compute_signature(TOKEN, URL, DUPLICATES) == DUPLICATE_EXPECTED
    assert is_valid(TOKEN, URL, DUPLICATES, DUPLICATE_EXPECTED)
    # The order in which repeated values arrive does not matter.
    assert is_valid(TOKEN, URL, list(reversed(DUPLICATES)), DUPLICATE_EXPECTED)


def test_identical_repeated_values_count_once() -> None:
    twice = [*DUPLICATES, ("Digits", "1234")]
    assert compute_signature(TOKEN, URL, twice) == DUPLICATE_EXPECTED


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        # A port in the called URL is removed before checking (https and http).
        ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", EXPECTED),
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        # Twilio may sign with the default port although the URL has none.
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ],
)
def test_published_port_variants(url: str, signature: str) -> None:
    assert is_valid(TOKEN, url, PARAMS, signature)


def test_url_variants() -> None:
    assert url_variants("http://example.org:8080/a?b=1") == (
        "http://example.org/a?b=1",
        "http://example.org:8080/a?b=1",
    )
    assert url_variants("https://example.org/a") == ("https://example.org/a", "https://example.org:443/a")


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "RSOYDt4T1cUTdK1PDd93/VVr8B8",
        "rsoydt4t1cutdk1pdd93/vvr8b8=",
        "RSOYDt4T1cUTdK1PDd93/VVr8B9=",
        "签名",
    ],
)
def test_wrong_signatures_fail(signature: str | None) -> None:
    assert not is_valid(TOKEN, URL, PARAMS, signature)


def test_wrong_token_url_or_params_fail() -> None:
    assert not is_valid("54321", URL, PARAMS, EXPECTED)
    assert not is_valid(TOKEN, URL.replace("foo=1", "foo=2"), PARAMS, EXPECTED)
    assert not is_valid(TOKEN, URL, [*PARAMS, ("Extra", "")], EXPECTED)
    assert not is_valid(TOKEN, URL, PARAMS[1:], EXPECTED)


def test_non_ascii_text_matches_twilios_validator() -> None:
    params = MultiDict(
        [("Body", "工厂锁了安全出口 — ça va? 🚒"), ("From", "+8613912345678"), ("To", "+8610690000001")]
    )
    validator = RequestValidator(TOKEN)
    expected = validator.compute_signature(URL, params)
    assert compute_signature(TOKEN, URL, params.items()) == expected
    assert is_valid(TOKEN, URL, params.items(), expected)
    assert not is_valid(TOKEN, URL, [("Body", "工厂锁了安全出口"), *list(params.items())[1:]], expected)


def test_sha256_when_the_settings_header_names_it() -> None:
    header = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    expected = RequestValidator(TOKEN).compute_signature(URL, dict(PARAMS), algorithm=HMAC_SHA256)
    assert algorithm_from_settings(header) == HMAC_SHA256
    assert is_valid(TOKEN, URL, PARAMS, expected, header)
    # The SHA-1 signature does not pass when SHA-256 is announced, nor the other way round.
    assert not is_valid(TOKEN, URL, PARAMS, EXPECTED, header)
    assert not is_valid(TOKEN, URL, PARAMS, expected)


@pytest.mark.parametrize("header", ["algorithm=HMAC_MD5", "algorithm=none"])
def test_unknown_algorithms_fail(header: str) -> None:
    assert not is_valid(TOKEN, URL, PARAMS, EXPECTED, header)


def test_settings_header_without_algorithm_means_sha1() -> None:
    assert is_valid(TOKEN, URL, PARAMS, EXPECTED, "key=webhooks_sharedkey_1")
    assert is_valid(TOKEN, URL, PARAMS, EXPECTED, "")


def test_twiml_escapes_the_text() -> None:
    assert twiml_message('a < b & "c" > d') == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>a &lt; b &amp; "c" &gt; d</Message></Response>'
    )
