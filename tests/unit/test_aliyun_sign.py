"""Alibaba Cloud signatures against the examples Alibaba publishes; V3 verification against tampering."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from services.intake.channels.aliyun_sign import (
    Acs3Rejected,
    canonical_request,
    percent_encode,
    rpc_signature,
    rpc_string_to_sign,
    sign_acs3,
    verify_acs3,
)

# A1. SMS "签名机制" example (help.aliyun.com/document_detail/56189.html), as quoted with its string to
# sign by client libraries (e.g. the alidayu gem's README): AccessKeyId testId, secret testSecret.
A1_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
A1_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
    "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4"
    "%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
    "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp"
    "%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
A1_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="

# A1b. The ECS "签名机制" example (DescribeRegions, testid / testsecret).
A1B_PARAMS = {
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Version": "2014-05-26",
    "Timestamp": "2016-02-23T12:46:24Z",
}
A1B_SIGNATURE = "OLeaidS1JvxuMvnyHOwuJ+uX5qY="

# A1c. "Request syntax and signature method V2 for RPC APIs" (help.aliyun.com/en/sdk/product-overview/
# rpc-mechanism): DescribeDedicatedHosts, testid / testsecret.
A1C_PARAMS = {
    "AccessKeyId": "testid",
    "Action": "DescribeDedicatedHosts",
    "Format": "JSON",
    "RegionId": "cn-beijing",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "edb2b34af0af9a6d14deaf7c1a5315eb",
    "SignatureVersion": "1.0",
    "Timestamp": "2023-03-13T08:34:30Z",
    "Version": "2014-05-26",
}
A1C_SIGNATURE = "9NaGiOspFP5UPcwX8Iwt2YJXXuk="

# A2. "Request syntax and signature method V3" (help.aliyun.com/zh/sdk/product-overview/
# v3-request-structure-and-signature): ECS RunInstances, its canonical request, hash and signature.
A2_QUERY = [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")]
A2_NOW = datetime(2023, 10, 26, 10, 22, 32, tzinfo=UTC)
A2_NONCE = "3156853299f313e23d1673dc12e1703d"
A2_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
A2_CANONICAL = (
    "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n"
    "host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\n"
    f"x-acs-content-sha256:{A2_EMPTY_SHA256}\nx-acs-date:2023-10-26T10:22:32Z\n"
    "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\n"
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
    f"{A2_EMPTY_SHA256}"
)
A2_HASHED_CANONICAL = "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
A2_AUTHORIZATION = (
    "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
    "x-acs-date;x-acs-signature-nonce;x-acs-version,"
    "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
)


def test_a1_sms_v1_example() -> None:
    assert rpc_string_to_sign("GET", A1_PARAMS) == A1_STRING_TO_SIGN
    assert rpc_signature("testSecret", "GET", A1_PARAMS) == A1_SIGNATURE
    assert rpc_signature("testSecret", "GET", {**A1_PARAMS, "Signature": "ignored"}) == A1_SIGNATURE


def test_a1b_a1c_rpc_examples() -> None:
    assert rpc_signature("testsecret", "GET", A1B_PARAMS) == A1B_SIGNATURE
    assert rpc_signature("testsecret", "GET", A1C_PARAMS) == A1C_SIGNATURE


def a2_headers() -> dict[str, str]:
    return sign_acs3(
        method="POST",
        host="ecs.cn-shanghai.aliyuncs.com",
        path="/",
        query=A2_QUERY,
        body=b"",
        action="RunInstances",
        version="2014-05-26",
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
        now=A2_NOW,
        nonce=A2_NONCE,
    )


def test_a2_v3_example() -> None:
    headers = a2_headers()
    canonical, signed = canonical_request("POST", "/", A2_QUERY, headers, A2_EMPTY_SHA256)
    assert canonical == A2_CANONICAL
    assert signed == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
    assert hashlib.sha256(canonical.encode()).hexdigest() == A2_HASHED_CANONICAL
    assert headers["Authorization"] == A2_AUTHORIZATION
    assert headers["x-acs-content-sha256"] == A2_EMPTY_SHA256


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("~-_.", "~-_."),
        ("/=&+:", "%2F%3D%26%2B%3A"),
        ("派", "%E6%B4%BE"),
        ("'!()", "%27%21%28%29"),
    ],
)
def test_percent_encoding_follows_rfc_3986(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


def secrets(key_id: str) -> str | None:
    return {"YourAccessKeyId": "YourAccessKeySecret"}.get(key_id)


def verify(headers: dict[str, str], *, query: list[tuple[str, str]] = A2_QUERY, body: bytes = b"") -> str:
    return verify_acs3(
        method="POST", path="/", query=query, headers=CIMultiDict(headers), body=body, secret_for=secrets
    )


def test_verify_accepts_the_published_request_in_any_header_case() -> None:
    assert verify(a2_headers()) == "YourAccessKeyId"
    assert verify({name.upper(): value for name, value in a2_headers().items()}) == "YourAccessKeyId"


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda h: {**h, "x-acs-action": "DeleteInstances"}, "SignatureDoesNotMatch"),
        (lambda h: {**h, "x-acs-date": "2023-10-26T10:22:33Z"}, "SignatureDoesNotMatch"),
        (lambda h: {**h, "Authorization": h["Authorization"][:-1] + "1"}, "SignatureDoesNotMatch"),
        (
            lambda h: {**h, "Authorization": h["Authorization"].replace("YourAccessKeyId", "Other")},
            "InvalidAccessKeyId.NotFound",
        ),
        (lambda h: {**h, "Authorization": "HMAC-SHA1 whatever"}, "IncompleteSignature"),
        (lambda h: {k: v for k, v in h.items() if k != "x-acs-signature-nonce"}, "IncompleteSignature"),
        (
            lambda h: {
                **h,
                "Authorization": h["Authorization"].replace("x-acs-version,", "x-acs-version;user-agent,"),
            },
            "IncompleteSignature",
        ),
        (
            lambda h: {**h, "Authorization": h["Authorization"].replace(";x-acs-version", "")},
            "IncompleteSignature",
        ),
    ],
)
def test_verify_refuses_tampered_headers(
    tamper: Callable[[dict[str, str]], dict[str, str]], code: str
) -> None:
    with pytest.raises(Acs3Rejected) as refused:
        verify(tamper(a2_headers()))
    assert refused.value.code == code


def test_verify_refuses_a_tampered_query_or_body() -> None:
    with pytest.raises(Acs3Rejected) as refused:
        verify(a2_headers(), query=[*A2_QUERY[:1], ("RegionId", "cn-beijing")])
    assert refused.value.code == "SignatureDoesNotMatch"
    with pytest.raises(Acs3Rejected) as refused:
        verify(a2_headers(), body=b"{}")
    assert refused.value.code == "InvalidContentSHA256"


@given(
    query=st.lists(st.tuples(st.text(min_size=1, max_size=10), st.text(max_size=20)), max_size=5),
    body=st.binary(max_size=64),
)
def test_sign_then_verify_round_trips(query: list[tuple[str, str]], body: bytes) -> None:
    headers = sign_acs3(
        method="POST",
        host="dysmsapi.aliyuncs.com",
        path="/",
        query=query,
        body=body,
        action="SendSms",
        version="2017-05-25",
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
        now=A2_NOW,
        nonce="n",
        content_type="application/octet-stream" if body else None,
    )
    assert verify(headers, query=query, body=body) == "YourAccessKeyId"
