"""The Tencent Cloud SMS client against a local SendSms that checks TC3 signatures on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from services.intake.channels.provider_http import ProviderRequest, exchange
from services.intake.channels.tencent_sms import TencentSms, send_sms_request, serial_no_or_raise
from tests.fakes import FakeClock, sensitive
from tests.providers.tencent import FakeTencentSms

SECRET_ID, SECRET_KEY = "AKIDExampleSecretId", sensitive("tencent-secret-key-0123456789")
APP_ID, SIGN, TEMPLATE = "1400006666", "工会服务", "1110"
PHONE = sensitive("+8613912345678")
CASE = "K7M3P"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def tencent(clock: FakeClock) -> AsyncIterator[FakeTencentSms]:
    async with FakeTencentSms(
        clock,
        secrets={SECRET_ID: SECRET_KEY},
        sdk_app_ids={APP_ID},
        sign_names={SIGN},
        templates={TEMPLATE: 1},
    ) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client(
    session: aiohttp.ClientSession, tencent: FakeTencentSms, clock: FakeClock, **overrides: Any
) -> TencentSms:
    values: dict[str, Any] = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "sdk_app_id": APP_ID,
        "sign_name": SIGN,
        "endpoint": tencent.base_url,
        "clock": clock,
    }
    values.update(overrides)
    return TencentSms(session, **values)


def signed(tencent: FakeTencentSms, clock: FakeClock, **overrides: Any) -> ProviderRequest:
    values: dict[str, Any] = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "region": "ap-guangzhou",
        "sdk_app_id": APP_ID,
        "sign_name": SIGN,
        "template_id": TEMPLATE,
        "phone_numbers": [PHONE],
        "template_params": [CASE],
        "session_context": "outbound-1",
        "endpoint": tencent.base_url,
        "timestamp": int(clock().timestamp()),
    }
    values.update(overrides)
    return send_sms_request(**values)


def code_of(error: BaseException) -> str:
    return error.code if isinstance(error, PermanentDeliveryError) else str(error.args[0])


async def test_a_signed_send_is_accepted(
    tencent: FakeTencentSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    serial = await client(session, tencent, clock).send_template(
        PHONE, TEMPLATE, [CASE], session_context="outbound-1"
    )
    (sent,) = tencent.sent
    assert (sent.phone_number, sent.template_id, sent.params) == (PHONE, TEMPLATE, [CASE])
    assert (sent.session_context, sent.serial_no) == ("outbound-1", serial)
    assert serial.startswith("2640:")


@pytest.mark.parametrize("sign_action", [False, True])
async def test_both_signed_header_sets_are_accepted(
    tencent: FakeTencentSms, session: aiohttp.ClientSession, clock: FakeClock, sign_action: bool
) -> None:
    answer = await exchange(session, signed(tencent, clock, sign_action=sign_action))
    assert serial_no_or_raise(answer.status, answer.payload)
    assert tencent.requests[0].error is None


def _header(name: str, value: str) -> Callable[[ProviderRequest], ProviderRequest]:
    return lambda request: replace(request, headers={**request.headers, name: value})


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda r: replace(r, body=r.body.replace(b'"K7M3P"', b'"ABCDE"')), "AuthFailure.SignatureFailure"),
        (
            lambda r: replace(r, body=r.body.replace(b"+8613912345678", b"+8613900000000")),
            "AuthFailure.SignatureFailure",
        ),
        (_header("Content-Type", "application/json"), "AuthFailure.SignatureFailure"),
        (_header("X-TC-Timestamp", "1772438401"), "AuthFailure.SignatureFailure"),
        (_header("X-TC-Timestamp", "1772438000"), "AuthFailure.SignatureExpire"),
        (
            _header(
                "Authorization",
                "TC3-HMAC-SHA256 Credential=AKIDother/2026-03-02/sms/tc3_request, SignedHeaders=content-type;host, Signature=0",
            ),
            "AuthFailure.SecretIdNotFound",
        ),
        (_header("Authorization", "Bearer token"), "AuthFailure.InvalidAuthorization"),
    ],
)
async def test_tampered_requests_are_refused_and_nothing_is_sent(
    tencent: FakeTencentSms,
    session: aiohttp.ClientSession,
    clock: FakeClock,
    tamper: Callable[[ProviderRequest], ProviderRequest],
    code: str,
) -> None:
    answer = await exchange(session, tamper(signed(tencent, clock)))
    assert answer.status == 200
    assert answer.payload["Response"]["Error"]["Code"] == code
    with pytest.raises(TransientDeliveryError):
        serial_no_or_raise(answer.status, answer.payload)
    assert tencent.sent == []


async def test_a_local_date_in_the_credential_is_refused(
    tencent: FakeTencentSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    # A signer that takes the date in Beijing time writes the next day from 16:00 UTC on. Forge that
    # mistake: the credential scope one day ahead of the timestamp's UTC date.
    request = signed(tencent, clock)
    forged = request.headers["Authorization"].replace("/2026-03-02/", "/2026-03-03/")
    answer = await exchange(session, replace(request, headers={**request.headers, "Authorization": forged}))
    assert answer.payload["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


async def test_a_wrong_key_and_a_stale_clock_are_transient(
    tencent: FakeTencentSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    with pytest.raises(TransientDeliveryError) as refused:
        await client(session, tencent, clock, secret_key="wrong").send_template(PHONE, TEMPLATE, [CASE])
    assert code_of(refused.value) == "AuthFailure.SignatureFailure"
    late = FakeClock(clock.now)
    late.advance(minutes=6)
    with pytest.raises(TransientDeliveryError) as expired:
        await client(session, tencent, late).send_template(PHONE, TEMPLATE, [CASE])
    assert code_of(expired.value) == "AuthFailure.SignatureExpire"
    assert tencent.sent == []


@pytest.mark.parametrize(
    ("phone", "params", "template", "error", "code"),
    [
        (
            PHONE,
            ["https://evil.example"],
            TEMPLATE,
            PermanentDeliveryError,
            "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        ),
        (
            "13912345678",
            [CASE],
            TEMPLATE,
            PermanentDeliveryError,
            "InvalidParameterValue.IncorrectPhoneNumber",
        ),
        (
            PHONE,
            [CASE, "extra"],
            TEMPLATE,
            PermanentDeliveryError,
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        ),
        (PHONE, [CASE], "9999", TransientDeliveryError, "FailedOperation.TemplateIncorrectOrUnapproved"),
    ],
)
async def test_message_rules(
    tencent: FakeTencentSms,
    session: aiohttp.ClientSession,
    clock: FakeClock,
    phone: str,
    params: list[str],
    template: str,
    error: type[Exception],
    code: str,
) -> None:
    with pytest.raises(error) as refused:
        await client(session, tencent, clock).send_template(phone, template, params)
    assert code_of(refused.value) == code
    assert tencent.sent == []


async def test_opted_out_number_and_frequency_limit(
    tencent: FakeTencentSms, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sms = client(session, tencent, clock)
    tencent.blacklist.add(PHONE)
    with pytest.raises(PermanentDeliveryError) as opted_out:
        await sms.send_template(PHONE, TEMPLATE, [CASE])
    assert opted_out.value.code == "FailedOperation.PhoneNumberInBlacklist"
    tencent.blacklist.clear()
    tencent.fail_next("LimitExceeded.PhoneNumberThirtySecondLimit")
    with pytest.raises(TransientDeliveryError) as limited:
        await sms.send_template(PHONE, TEMPLATE, [CASE])
    assert code_of(limited.value) == "LimitExceeded.PhoneNumberThirtySecondLimit"
    await sms.send_template(PHONE, TEMPLATE, [CASE])
    assert len(tencent.sent) == 1
