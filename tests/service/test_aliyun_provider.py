"""The Alibaba Cloud SMS client against a local SendSms that checks ACS3 signatures on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from services.intake.channels.aliyun_sms import AliyunSms, biz_id_or_raise, send_sms_request
from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from services.intake.channels.provider_http import ProviderRequest, exchange
from tests.fakes import FakeClock, sensitive
from tests.providers.aliyun import FakeAliyunSms

KEY_ID, KEY_SECRET = "LTAI5tExampleKeyId", sensitive("aliyun-access-key-secret-0123")
PHONE = sensitive("+8613912345678")
SIGN, TEMPLATE = "工会服务", "SMS_15305000"
CASE = "K7M3P"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def aliyun(clock: FakeClock) -> AsyncIterator[FakeAliyunSms]:
    async with FakeAliyunSms(
        clock, access_keys={KEY_ID: KEY_SECRET}, sign_names={SIGN}, templates={TEMPLATE: {"code"}}
    ) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client(
    session: aiohttp.ClientSession, aliyun: FakeAliyunSms, clock: FakeClock, **overrides: Any
) -> AliyunSms:
    values: dict[str, Any] = {
        "access_key_id": KEY_ID,
        "access_key_secret": KEY_SECRET,
        "sign_name": SIGN,
        "endpoint": aliyun.base_url,
        "clock": clock,
    }
    values.update(overrides)
    return AliyunSms(session, **values)


def code_of(error: BaseException) -> str:
    return error.code if isinstance(error, PermanentDeliveryError) else str(error.args[0])


def signed(aliyun: FakeAliyunSms, clock: FakeClock, **overrides: Any) -> ProviderRequest:
    values: dict[str, Any] = {
        "access_key_id": KEY_ID,
        "access_key_secret": KEY_SECRET,
        "phone_numbers": PHONE,
        "sign_name": SIGN,
        "template_code": TEMPLATE,
        "template_param": {"code": CASE},
        "out_id": "outbound-1",
        "endpoint": aliyun.base_url,
        "now": clock(),
        "nonce": "nonce-1",
    }
    values.update(overrides)
    return send_sms_request(**values)


async def test_a_signed_send_is_accepted(
    aliyun: FakeAliyunSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    biz_id = await client(session, aliyun, clock).send_template(
        PHONE, TEMPLATE, {"code": CASE}, out_id="outbound-1"
    )
    (sent,) = aliyun.sent
    assert (sent.phone_numbers, sent.sign_name, sent.template_code) == (PHONE, SIGN, TEMPLATE)
    assert (sent.params, sent.out_id, sent.biz_id) == ({"code": CASE}, "outbound-1", biz_id)


async def test_two_sends_use_two_nonces(
    aliyun: FakeAliyunSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sms = client(session, aliyun, clock)
    await sms.send_template(PHONE, TEMPLATE, {"code": CASE})
    await sms.send_template(PHONE, TEMPLATE, {"code": CASE})
    assert len(aliyun.sent) == 2


def _tamper_query(request: ProviderRequest) -> ProviderRequest:
    return replace(request, url=request.url.replace("%2B8613912345678", "%2B8613900000000"))


def _tamper_header(name: str, value: str) -> Any:
    return lambda request: replace(request, headers={**request.headers, name: value})


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        (_tamper_query, 400, "SignatureDoesNotMatch"),
        (_tamper_header("x-acs-date", "2026-03-02T08:00:01Z"), 400, "SignatureDoesNotMatch"),
        (_tamper_header("x-acs-action", "SendBatchSms"), 400, "SignatureDoesNotMatch"),
        (_tamper_header("x-acs-content-sha256", "0" * 64), 400, "InvalidContentSHA256"),
        (lambda request: replace(request, body=b"PhoneNumbers=x"), 400, "InvalidContentSHA256"),
        (
            _tamper_header(
                "Authorization", "ACS3-HMAC-SHA256 Credential=LTAIother,SignedHeaders=host,Signature=0"
            ),
            404,
            "InvalidAccessKeyId.NotFound",
        ),
    ],
)
async def test_tampered_requests_are_refused_and_nothing_is_sent(
    aliyun: FakeAliyunSms,
    session: aiohttp.ClientSession,
    clock: FakeClock,
    tamper: Any,
    status: int,
    code: str,
) -> None:
    answer = await exchange(session, tamper(signed(aliyun, clock)))
    assert (answer.status, answer.payload["Code"]) == (status, code)
    with pytest.raises(TransientDeliveryError):  # credentials and signing are for an operator to fix
        biz_id_or_raise(answer.status, answer.payload)
    assert aliyun.sent == []


async def test_a_wrong_secret_is_refused(
    aliyun: FakeAliyunSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    with pytest.raises(TransientDeliveryError) as refused:
        await client(session, aliyun, clock, access_key_secret="wrong").send_template(
            PHONE, TEMPLATE, {"code": CASE}
        )
    assert refused.value.args == ("SignatureDoesNotMatch",)


async def test_a_replayed_request_and_a_stale_one_are_refused(
    aliyun: FakeAliyunSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    request = signed(aliyun, clock)
    first = await exchange(session, request)
    replay = await exchange(session, request)
    assert (first.payload["Code"], replay.payload["Code"]) == ("OK", "SignatureNonceUsed")
    stale = signed(aliyun, clock, nonce="nonce-2")
    clock.advance(minutes=16)
    late = await exchange(session, stale)
    assert late.payload["Code"] == "InvalidTimeStamp.Expired"
    assert len(aliyun.sent) == 1


@pytest.mark.parametrize(
    ("params", "template", "error", "code"),
    [
        ({"code": "https://evil.example/x"}, TEMPLATE, PermanentDeliveryError, "isv.PARAM_NOT_SUPPORT_URL"),
        ({"code": "x" * 36}, TEMPLATE, PermanentDeliveryError, "isv.PARAM_LENGTH_LIMIT"),
        ({"case": CASE}, TEMPLATE, PermanentDeliveryError, "isv.TEMPLATE_MISSING_PARAMETERS"),
        ({"code": CASE}, "SMS_NOT_APPROVED", TransientDeliveryError, "isv.SMS_TEMPLATE_ILLEGAL"),
    ],
)
async def test_template_rules(
    aliyun: FakeAliyunSms,
    session: aiohttp.ClientSession,
    clock: FakeClock,
    params: dict[str, str],
    template: str,
    error: type[Exception],
    code: str,
) -> None:
    with pytest.raises(error) as refused:
        await client(session, aliyun, clock).send_template(PHONE, template, params)
    assert code_of(refused.value) == code
    assert aliyun.sent == []


async def test_invalid_number_and_rate_limits(
    aliyun: FakeAliyunSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sms = client(session, aliyun, clock)
    with pytest.raises(PermanentDeliveryError) as invalid:
        await sms.send_template(sensitive("+8612345"), TEMPLATE, {"code": CASE})
    assert invalid.value.code == "isv.MOBILE_NUMBER_ILLEGAL"
    aliyun.fail_next("isv.BUSINESS_LIMIT_CONTROL")
    with pytest.raises(TransientDeliveryError) as limited:
        await sms.send_template(PHONE, TEMPLATE, {"code": CASE})
    assert limited.value.args == ("isv.BUSINESS_LIMIT_CONTROL",)
    await sms.send_template(PHONE, TEMPLATE, {"code": CASE})
    assert len(aliyun.sent) == 1
