"""TC3-HMAC-SHA256 against Tencent's published worked example; verification against tampering."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from services.intake.channels.tencent_sign import (
    Tc3Rejected,
    canonical_request,
    sign_tc3,
    string_to_sign,
    utc_date,
    verify_tc3,
)

# T1. Tencent Cloud "签名方法 v3" / "Signature v3", the CVM DescribeInstances worked example:
# https://cloud.tencent.com/document/api/213/30654 (the page is repeated for each product, e.g. for SMS
# at https://www.tencentcloud.com/document/product/382/40467). SecretKey
# Gu5t9xGARNpq86cd98joQYCN3EXAMPLE; the signature does not depend on the SecretId.
T1_SECRET_ID, T1_SECRET_KEY = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
T1_TIMESTAMP = 1551113065
T1_BODY = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
T1_CANONICAL = (
    "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
    "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
)
T1_STRING_TO_SIGN = (
    "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
    "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
)
T1_AUTHORIZATION = (
    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
    "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
)


def t1_headers(**overrides: object) -> dict[str, str]:
    values: dict[str, object] = {
        "secret_id": T1_SECRET_ID,
        "secret_key": T1_SECRET_KEY,
        "service": "cvm",
        "host": "cvm.tencentcloudapi.com",
        "action": "DescribeInstances",
        "version": "2017-03-12",
        "region": "ap-guangzhou",
        "timestamp": T1_TIMESTAMP,
        "body": T1_BODY,
    }
    values.update(overrides)
    return sign_tc3(**values)  # type: ignore[arg-type]


def test_t1_published_example() -> None:
    signed = {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}
    canonical = canonical_request("POST", "", signed, ["content-type", "host"], T1_BODY)
    assert canonical == T1_CANONICAL
    assert string_to_sign(T1_TIMESTAMP, "cvm", canonical) == T1_STRING_TO_SIGN
    headers = t1_headers()
    assert headers["Authorization"] == T1_AUTHORIZATION
    assert headers["X-TC-Timestamp"] == "1551113065"
    assert (headers["X-TC-Action"], headers["X-TC-Version"], headers["X-TC-Region"]) == (
        "DescribeInstances",
        "2017-03-12",
        "ap-guangzhou",
    )


def test_the_credential_date_is_the_utc_date() -> None:
    # 1551113065 is 2019-02-26 00:44:25 in Beijing but 2019-02-25 in UTC, the page's own warning.
    assert utc_date(T1_TIMESTAMP) == "2019-02-25"
    assert utc_date(1551052799) == "2019-02-24"


def secrets(secret_id: str) -> str | None:
    return {T1_SECRET_ID: T1_SECRET_KEY}.get(secret_id)


def verify(headers: dict[str, str], *, body: bytes = T1_BODY, now: int = T1_TIMESTAMP + 10) -> str:
    return verify_tc3(
        method="POST",
        query="",
        headers=CIMultiDict(headers),
        body=body,
        service="cvm",
        now=now,
        secret_for=secrets,
    )


def test_verify_accepts_the_published_request_and_the_x_tc_action_variant() -> None:
    assert verify(t1_headers()) == T1_SECRET_ID
    with_action = t1_headers(sign_action=True)
    assert "SignedHeaders=content-type;host;x-tc-action," in with_action["Authorization"]
    assert verify(with_action) == T1_SECRET_ID


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda h: {**h, "Host": "cvm.evil.example"}, "AuthFailure.SignatureFailure"),
        (lambda h: {**h, "Authorization": h["Authorization"][:-1] + "0"}, "AuthFailure.SignatureFailure"),
        (
            lambda h: {**h, "Authorization": h["Authorization"].replace("/cvm/", "/sms/")},
            "AuthFailure.SignatureFailure",
        ),
        (
            lambda h: {**h, "Authorization": h["Authorization"].replace("2019-02-25", "2019-02-26")},
            "AuthFailure.SignatureFailure",
        ),
        (
            lambda h: {**h, "Authorization": h["Authorization"].replace("content-type;host", "host")},
            "AuthFailure.SignatureFailure",
        ),
        (
            lambda h: {**h, "Authorization": h["Authorization"].replace(T1_SECRET_ID, "AKIDother")},
            "AuthFailure.SecretIdNotFound",
        ),
        (lambda h: {**h, "Authorization": "Basic abc"}, "AuthFailure.InvalidAuthorization"),
        (lambda h: {**h, "X-TC-Timestamp": "1551113066"}, "AuthFailure.SignatureFailure"),
        (lambda h: {**h, "X-TC-Timestamp": "soon"}, "AuthFailure.InvalidAuthorization"),
    ],
)
def test_verify_refuses_tampering(tamper: Callable[[dict[str, str]], dict[str, str]], code: str) -> None:
    with pytest.raises(Tc3Rejected) as refused:
        verify(tamper(t1_headers()))
    assert refused.value.code == code


def test_verify_refuses_a_signed_action_that_was_changed() -> None:
    headers = {**t1_headers(sign_action=True), "X-TC-Action": "TerminateInstances"}
    with pytest.raises(Tc3Rejected):
        verify(headers)


def test_verify_refuses_a_changed_body_and_a_stale_timestamp() -> None:
    with pytest.raises(Tc3Rejected) as refused:
        verify(t1_headers(), body=T1_BODY.replace(b"1", b"2"))
    assert refused.value.code == "AuthFailure.SignatureFailure"
    for now in (T1_TIMESTAMP + 301, T1_TIMESTAMP - 301):
        with pytest.raises(Tc3Rejected) as refused:
            verify(t1_headers(), now=now)
        assert refused.value.code == "AuthFailure.SignatureExpire"


@given(body=st.binary(max_size=128), timestamp=st.integers(min_value=1, max_value=4_102_444_800))
def test_sign_then_verify_round_trips(body: bytes, timestamp: int) -> None:
    headers = t1_headers(body=body, timestamp=timestamp)
    assert verify(headers, body=body, now=timestamp) == T1_SECRET_ID
