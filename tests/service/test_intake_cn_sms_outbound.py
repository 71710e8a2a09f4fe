"""Sending by Alibaba Cloud and Tencent Cloud SMS: the sender against local servers that check each
request's signature, and the delivery reports through intake's webhooks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.intake import store
from services.intake.channels.delivery import TransientDeliveryError
from services.intake.delivery_state import delivery_of
from services.intake.outbound import SENDER
from services.intake.sender import Sender
from shared.contracts import MessageOutbound, OutboundPurpose
from shared.ids import case_code
from shared.privacy import Keys, seal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.providers.aliyun import FakeAliyunSms
from tests.providers.tencent import FakeTencentSms
from tests.service.cn_sms_support import (
    ALIYUN_TEMPLATES,
    SIGN,
    TENCENT_APP,
    TENCENT_TEMPLATES,
    aliyun_report_path,
    aliyun_server,
    cn_settings,
    push,
    sms_report,
    tencent_server,
    tencent_status,
    tencent_status_path,
)
from tests.service.intake_support import serve

REFERENCE = "K7M3P-Q9RST"
WORDS = sensitive("委员会的答复：下周一补发加班费，请到人事部签字。")


@pytest.fixture(autouse=True)
async def indexes(runtime: Runtime) -> None:
    await ensure_indexes(runtime.db, store.INDEXES)


@pytest.fixture
async def aliyun(clock: FakeClock) -> AsyncIterator[FakeAliyunSms]:
    async with aliyun_server(clock) as fake:
        yield fake


@pytest.fixture
async def tencent(clock: FakeClock) -> AsyncIterator[FakeTencentSms]:
    async with tencent_server(clock) as fake:
        yield fake


@pytest.fixture
async def intake(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    aliyun: FakeAliyunSms,
    tencent: FakeTencentSms,
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = cn_settings(
        settings_factory,
        aliyun=aliyun.base_url,
        tencent=tencent.base_url,
        sms_routes={"+8610690000002": "tencent"},
        sms_default_provider="aliyun",
    )
    async with serve(settings, runtime) as client:
        yield client


def sender_of(intake: TestClient[web.Request, web.Application]) -> Sender:
    sender: Sender = intake.app[SENDER]
    return sender


def outbound(
    keys: Keys,
    purpose: OutboundPurpose = "committee_reply",
    *,
    gateway: str | None = "aliyun:1234",
    contact: str = WORKER_PHONE,
    reference: str | None = REFERENCE,
    language: str = "zh",
    code: str | None = None,
) -> MessageOutbound:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=seal(keys, contact),
        text=WORDS,
        language=language,
        reference=reference,
        case_id=str(uuid.uuid4()),
        purpose=purpose,
        gateway_number=gateway,
        code=code,
    )


async def record(runtime: Runtime, event: MessageOutbound) -> dict[str, Any]:
    document = await store.outbound_for_event(runtime.db, str(event.id))
    assert document is not None
    return document


async def test_a_committee_reply_goes_by_alibaba_as_the_update_template_with_the_case_code_only(
    intake: TestClient[web.Request, web.Application], runtime: Runtime, aliyun: FakeAliyunSms, keys: Keys
) -> None:
    event = outbound(keys)
    await sender_of(intake).handle(event)
    [sent] = aliyun.sent
    assert sent.template_code == ALIYUN_TEMPLATES["update"] and sent.sign_name == SIGN
    assert sent.params == {"code": case_code(REFERENCE)} == {"code": "K7M3PQ"}
    assert sent.phone_numbers == WORKER_PHONE.removeprefix("+86") and sent.out_id == str(event.id)
    # The committee's words never reach the provider.
    assert all(WORDS not in str(arrival.query) for arrival in aliyun.requests)
    document = await record(runtime, event)
    assert document["status"] == "sent" and document["sent_parts"] == {"0": sent.biz_id}
    assert document["template"] == "update" and document["provider"] == "aliyun"
    # Redelivered by the bus: nothing is sent twice.
    await sender_of(intake).handle(event)
    assert len(aliyun.sent) == 1


@pytest.mark.parametrize(
    ("purpose", "kind"),
    [
        ("ack", "ack"),
        ("status", "update"),
        ("resolution_check", "resolution"),
        ("escalation_notice", "escalation"),
        ("ngo_message", "update"),
        ("help", "help"),
    ],
)
async def test_each_purpose_goes_as_its_template_by_tencent(
    intake: TestClient[web.Request, web.Application],
    tencent: FakeTencentSms,
    keys: Keys,
    purpose: OutboundPurpose,
    kind: str,
) -> None:
    event = outbound(keys, purpose, gateway="tencent:")
    await sender_of(intake).handle(event)
    [sent] = tencent.sent
    assert sent.template_id == TENCENT_TEMPLATES[kind]
    assert sent.params == ([] if kind == "help" else ["K7M3PQ"])
    assert sent.phone_number == WORKER_PHONE and sent.session_context == str(event.id)
    [arrival] = tencent.requests
    assert arrival.body["SmsSdkAppId"] == TENCENT_APP and WORDS not in str(arrival.body)


async def test_the_provider_is_chosen_by_the_gateway_number_and_else_the_default(
    intake: TestClient[web.Request, web.Application],
    aliyun: FakeAliyunSms,
    tencent: FakeTencentSms,
    keys: Keys,
) -> None:
    sender = sender_of(intake)
    await sender.handle(outbound(keys, gateway="+8610690000002"))  # routed to Tencent
    await sender.handle(outbound(keys, gateway="tencent:"))  # the worker wrote through Tencent
    await sender.handle(outbound(keys, gateway=None))  # a web form's reply: the default
    await sender.handle(outbound(keys, gateway="aliyun:1234"))
    assert len(tencent.sent) == 2 and len(aliyun.sent) == 2


async def test_a_message_no_template_carries_is_undeliverable_and_nothing_is_sent(
    intake: TestClient[web.Request, web.Application], runtime: Runtime, aliyun: FakeAliyunSms, keys: Keys
) -> None:
    codeless = outbound(keys, "contact_confirmation")  # a code purpose whose event lost its code
    nameless = outbound(keys, "status", reference=None)
    for event in (codeless, nameless):
        await sender_of(intake).handle(event)
    assert aliyun.requests == []
    assert (await record(runtime, codeless))["reason"] == "no_code"
    assert (await record(runtime, nameless))["reason"] == "no_case_code"
    state = delivery_of(await record(runtime, nameless))
    assert state is not None and (state.state, state.error_code) == ("undeliverable", "no_case_code")


@pytest.mark.parametrize("purpose", ["sign_in_code", "contact_confirmation"])
async def test_a_one_time_code_goes_by_the_verification_template_of_either_provider(
    intake: TestClient[web.Request, web.Application],
    runtime: Runtime,
    aliyun: FakeAliyunSms,
    tencent: FakeTencentSms,
    keys: Keys,
    purpose: str,
) -> None:
    by_aliyun = outbound(keys, purpose, code="042917", reference=None)  # type: ignore[arg-type]
    by_tencent = outbound(keys, purpose, code="530021", gateway="tencent:")  # type: ignore[arg-type]
    for event in (by_aliyun, by_tencent):
        await sender_of(intake).handle(event)
    [sent] = aliyun.sent
    assert sent.template_code == ALIYUN_TEMPLATES["verification"] and sent.params == {"code": "042917"}
    [other] = tencent.sent
    assert other.template_id == TENCENT_TEMPLATES["verification"] and other.params == ["530021"]
    assert all(WORDS not in str(arrival.query) for arrival in aliyun.requests)
    for event in (by_aliyun, by_tencent):
        document = await record(runtime, event)
        assert (document["status"], document["template"]) == ("sent", "verification")
        assert "042917" not in str(document) and "530021" not in str(document)


async def test_an_english_speaker_gets_the_english_template_when_one_is_approved(
    settings_factory: Callable[..., Settings], runtime: Runtime, aliyun: FakeAliyunSms, keys: Keys
) -> None:
    aliyun.templates["SMS_9001"] = {"code"}
    templates = {**ALIYUN_TEMPLATES, "update:en": "SMS_9001"}
    settings = cn_settings(settings_factory, aliyun=aliyun.base_url, aliyun_templates=templates)
    async with serve(settings, runtime) as client:
        await sender_of(client).handle(outbound(keys, language="en"))
        await sender_of(client).handle(outbound(keys, language="zh"))
        # A number outside the mainland goes with its country code (this fake takes mainland ones).
        await sender_of(client).handle(outbound(keys, contact=ENGLISH_WORKER_PHONE))
    assert [s.template_code for s in aliyun.sent] == ["SMS_9001", ALIYUN_TEMPLATES["update"]]
    assert aliyun.requests[-1].query["PhoneNumbers"] == ENGLISH_WORKER_PHONE.removeprefix("+")


async def test_a_rate_limit_is_retried_by_the_bus_and_sent_once(
    intake: TestClient[web.Request, web.Application],
    runtime: Runtime,
    aliyun: FakeAliyunSms,
    tencent: FakeTencentSms,
    keys: Keys,
) -> None:
    aliyun.fail_next("isv.BUSINESS_LIMIT_CONTROL")
    tencent.fail_next("LimitExceeded.PhoneNumberDailyLimit")
    for fake, gateway in ((aliyun, "aliyun:1"), (tencent, "tencent:")):
        event = outbound(keys, gateway=gateway)
        with pytest.raises(TransientDeliveryError):
            await sender_of(intake).handle(event)
        assert (await record(runtime, event))["status"] == "released"
        await sender_of(intake).handle(event)  # the bus's redelivery
        assert len(fake.sent) == 1 and (await record(runtime, event))["status"] == "sent"


async def test_a_refused_number_is_failed_for_good(
    intake: TestClient[web.Request, web.Application], runtime: Runtime, tencent: FakeTencentSms, keys: Keys
) -> None:
    tencent.blacklist.add(WORKER_PHONE)
    event = outbound(keys, gateway="tencent:")
    await sender_of(intake).handle(event)
    document = await record(runtime, event)
    assert (
        document["status"] == "failed" and document["error_code"] == "FailedOperation.PhoneNumberInBlacklist"
    )


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
async def test_a_lost_answer_is_never_resent_and_the_delivery_report_reconciles_it(
    intake: TestClient[web.Request, web.Application],
    runtime: Runtime,
    aliyun: FakeAliyunSms,
    tencent: FakeTencentSms,
    keys: Keys,
    provider: str,
) -> None:
    fake: FakeAliyunSms | FakeTencentSms = aliyun if provider == "aliyun" else tencent
    fake.lose_next_answers()
    event = outbound(keys, gateway=f"{provider}:")
    await sender_of(intake).handle(event)  # no exception: nothing for the bus to retry
    document = await record(runtime, event)
    assert document["status"] == "unconfirmed"
    state = delivery_of(document)
    assert state is not None and (state.state, state.error_code) == ("sent", "unconfirmed")
    for _ in range(3):  # the bus redelivers (a restart, a replica): still sent once
        await sender_of(intake).handle(event)
    assert len(fake.sent) == 1 and len(fake.requests) == 1

    if isinstance(fake, FakeAliyunSms):
        [sent] = fake.sent
        path, body = aliyun_report_path(), [sms_report(sent.biz_id, sent.out_id, WORKER_PHONE)]
    else:
        [sent_t] = fake.sent
        path, body = (
            tencent_status_path(),
            [tencent_status(sent_t.serial_no, sent_t.session_context, WORKER_PHONE)],
        )
    for _ in range(2):  # the provider repeats its report too
        answer = await push(intake, path, body)
        assert answer.status == 200
    document = await record(runtime, event)
    assert document["status"] == "sent" and document["reconciled_at"] is not None
    state = delivery_of(document)
    assert state is not None and state.state == "delivered"


async def test_reports_move_the_delivery_state_and_a_failure_keeps_its_code(
    intake: TestClient[web.Request, web.Application],
    runtime: Runtime,
    aliyun: FakeAliyunSms,
    tencent: FakeTencentSms,
    keys: Keys,
) -> None:
    first, second = outbound(keys, gateway="aliyun:1"), outbound(keys, gateway="tencent:")
    await sender_of(intake).handle(first)
    await sender_of(intake).handle(second)
    report = sms_report(aliyun.sent[0].biz_id, str(first.id), WORKER_PHONE, success=False)
    assert (await push(intake, aliyun_report_path(), [report])).status == 200
    status = tencent_status(tencent.sent[0].serial_no, str(second.id), WORKER_PHONE)
    answer = await push(intake, tencent_status_path(), [status])
    assert answer.status == 200 and await answer.json() == {"result": 0, "errmsg": "OK"}
    failed = delivery_of(await record(runtime, first))
    assert failed is not None and (failed.state, failed.error_code) == ("undelivered", "MK_0012")
    delivered = delivery_of(await record(runtime, second))
    assert delivered is not None and delivered.state == "delivered"


async def test_a_report_of_a_message_we_never_sent_is_acknowledged_and_changes_nothing(
    intake: TestClient[web.Request, web.Application], runtime: Runtime
) -> None:
    unknown = [
        sms_report("123456^0", str(uuid.uuid4()), WORKER_PHONE),
        sms_report("9^0", "not-ours", WORKER_PHONE),
    ]
    answer = await push(intake, aliyun_report_path(), unknown)
    assert answer.status == 200 and await answer.json() == {"code": 0, "msg": "接收成功"}
    assert await runtime.db[store.OUTBOUND].count_documents({}) == 0
    assert (await push(intake, aliyun_report_path(), [{"biz_id": "1"}])).status == 400
