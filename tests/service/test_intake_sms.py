"""The Twilio SMS webhook through a real aiohttp server and the in-memory bus."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from shared.contracts import Event, GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.memorybus import MemoryBus
from shared.privacy import Keys, reporter_key, unseal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.polling import eventually
from tests.servers import ops_client
from tests.service.intake_support import (
    ACCOUNT_SID,
    GATEWAY,
    PUBLIC_BASE_URL,
    SMS_PATH,
    TWILIO_TOKEN,
    FailingBus,
    intake_settings,
    message_sid,
    post_sms,
    serve,
    signature,
    sms_form,
)

ZH_TEXT = sensitive("工厂锁了安全出口，还扣押了身份证")
EN_TEXT = sensitive("The fire exit on floor 3 is locked every night")
LOCAL_NUMBER = sensitive("139 1234 5678")


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with serve(intake_settings(settings_factory), runtime) as client:
        yield client


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def says_nothing(body: str) -> bool:
    root = ElementTree.fromstring(body)  # noqa: S314 - our own response, in a test
    return root.tag == "Response" and root.find("Message") is None


async def test_resent_webhook_is_published_once_with_the_same_reference(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    form = sms_form(ZH_TEXT)
    answers = []
    for _ in range(3):
        response = await post_sms(client, form)
        assert response.status == 200
        answers.append(await response.text())
    assert answers[0] == answers[1] == answers[2]
    assert len(memory_bus.published) == 1
    event = memory_bus.published[0]
    assert isinstance(event, GrievanceReceived)
    sid = dict(form)["MessageSid"]
    assert event.grievance_id == grievance_id_for("twilio", ACCOUNT_SID, sid)
    assert event.reference == reference_for(event.grievance_id)
    assert says_nothing(answers[0])


async def test_concurrent_duplicates_are_published_once(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    form = sms_form(EN_TEXT)
    responses = await asyncio.gather(*(post_sms(client, form) for _ in range(5)))
    assert [r.status for r in responses] == [200] * 5
    assert len({await r.text() for r in responses}) == 1
    assert len(memory_bus.published) == 1


async def test_event_is_normalised_sealed_and_keyed(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keys: Keys, clock: FakeClock
) -> None:
    response = await post_sms(client, sms_form(f"  {ZH_TEXT}\n", sender=LOCAL_NUMBER, to="+86 106 9000 0001"))
    assert response.status == 200
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    assert (event.channel, event.provider, event.language) == ("sms", "twilio", "zh")
    assert event.text == ZH_TEXT
    assert event.received_at == clock.now
    assert event.correlation_id == event.grievance_id
    assert event.factory_hint == GATEWAY
    assert event.gateway_number == "+86 106 9000 0001"
    assert event.reporter_key == reporter_key(keys, WORKER_PHONE)
    assert event.sealed_contact is not None and unseal(keys, event.sealed_contact) == WORKER_PHONE
    assert event.anonymous is True


async def test_the_number_never_travels_in_clear(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    response = await post_sms(client, sms_form(EN_TEXT, sender=ENGLISH_WORKER_PHONE))
    body = await response.text()
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    digits = re.sub(r"\D", "", ENGLISH_WORKER_PHONE)
    for text in (event.to_json().decode(), body, str(dict(response.headers))):
        assert digits not in re.sub(r"\D", "", text.replace(event.reference, ""))
        assert ENGLISH_WORKER_PHONE not in text


@pytest.mark.parametrize(("text", "language"), [(ZH_TEXT, "zh"), (EN_TEXT, "en")])
async def test_twiml_says_nothing_and_the_language_is_recorded_for_the_routers_one_text(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, text: str, language: Any
) -> None:
    """No reference here: it would not exist for a follow-up, and the router acknowledges anyway."""
    response = await post_sms(client, sms_form(text))
    assert response.status == 200
    assert response.content_type == "text/xml" and response.charset == "utf-8"
    assert await response.text() == EMPTY_TWIML
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    assert event.language == language


@pytest.mark.parametrize("keyword", ["否", "STATUS", "状态 ABCDE-FGHJK", "stop", "ＹＥＳ"])
async def test_keywords_are_published_but_answered_by_the_router_not_here(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keyword: str
) -> None:
    response = await post_sms(client, sms_form(keyword))
    assert response.status == 200
    assert await response.text() == EMPTY_TWIML
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    assert event.text == keyword


async def test_a_message_quoting_a_reference_is_never_told_a_new_reference(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    response = await post_sms(client, sms_form("关于 ABCDE-FGHJK：今天又加班到十点"))
    assert response.status == 200
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    reply = await response.text()
    assert event.reference not in reply and says_nothing(reply)


async def test_query_string_and_default_port_variants_verify(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    path = SMS_PATH + "?factory=GZ001&x=%E5%B7%A5"
    assert (await post_sms(client, sms_form(EN_TEXT), path)).status == 200
    # Twilio sometimes signs the URL with the scheme's default port.
    assert (await post_sms(client, sms_form(EN_TEXT), base="https://intake.example.org:443")).status == 200
    assert len(memory_bus.published) == 2


async def test_sha256_signatures_when_announced(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    form = sms_form(EN_TEXT)
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    response = await post_sms(client, form, headers=headers, algorithm="HMAC_SHA256")
    assert response.status == 200
    # The same header with a SHA-1 signature is refused.
    response = await post_sms(client, sms_form(EN_TEXT), headers=headers)
    assert response.status == 403
    assert len(memory_bus.published) == 1


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "sign",
    [
        {"token": "another-account-token"},
        {"base": "http://127.0.0.1:8080"},  # the server's own address, not the public URL
        {"algorithm": "HMAC_SHA256"},  # without the settings header that announces it
    ],
)
async def test_wrong_signature_is_forbidden_and_publishes_nothing(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, sign: dict[str, Any]
) -> None:
    await problem(await post_sms(client, sms_form(ZH_TEXT), **sign), 403)
    assert memory_bus.published == []


async def test_a_rejected_signature_is_logged_with_the_url_the_server_expected(
    client: TestClient[web.Request, web.Application],
) -> None:
    # Signed for another host: the operator's webhook URL at Twilio differs from the public base URL.
    wrong_host: dict[str, Any] = {"base": "http://intake.example.org:8080"}
    with capture_logs() as lines:
        await problem(await post_sms(client, sms_form(ZH_TEXT), **wrong_host), 403)
    rejected = [line for line in lines if line["event"] == "twilio_signature_rejected"]
    assert len(rejected) == 1
    assert rejected[0]["expected_url"] == f"{PUBLIC_BASE_URL}{SMS_PATH}"
    assert "GRIEVANCE_PUBLIC_BASE_URL" in rejected[0]["hint"]
    assert not any(TWILIO_TOKEN in str(value) for value in rejected[0].values())


async def test_missing_or_tampered_signature_is_forbidden(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    form = sms_form(ZH_TEXT)
    data = urlencode(form).encode()
    content = {"Content-Type": "application/x-www-form-urlencoded"}
    await problem(await client.post(SMS_PATH, data=data, headers=content), 403)
    tampered = [(k, EN_TEXT if k == "Body" else v) for k, v in form]
    headers = {**content, "X-Twilio-Signature": signature(form)}
    await problem(await client.post(SMS_PATH, data=urlencode(tampered).encode(), headers=headers), 403)
    assert memory_bus.published == []


async def test_unconfigured_token_answers_503(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    async with serve(intake_settings(settings_factory, twilio_auth_token=None), runtime) as client:
        body = await problem(await post_sms(client, sms_form(EN_TEXT)), 503)
    assert "Twilio" in body["detail"]
    assert memory_bus.published == []


def replace(form: list[tuple[str, str]], name: str, value: str | None) -> list[tuple[str, str]]:
    pairs = [(k, v) for k, v in form if k != name]
    return pairs if value is None else [*pairs, (name, value)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda f: replace(f, "Body", ""), "Body"),
        (lambda f: replace(f, "Body", "  \n\t "), "Body"),
        (lambda f: replace(f, "Body", "x" * 1601), "Body"),
        (lambda f: replace(f, "Body", None), "Body"),
        (lambda f: replace(f, "From", None), "From"),
        (lambda f: replace(f, "From", " "), "From"),
        (lambda f: replace(f, "To", None), "To"),
        (lambda f: replace(f, "MessageSid", None), "MessageSid"),
        (lambda f: replace(f, "MessageSid", "SM123"), "MessageSid"),
        (lambda f: replace(f, "MessageSid", "XX" + "0" * 32), "MessageSid"),
        (lambda f: replace(f, "MessageSid", '{"$gt": ""}'), "MessageSid"),
        (lambda f: [*f, ("MessageSid", message_sid())], "MessageSid"),
        (lambda f: replace(f, "AccountSid", "AC-not-a-sid"), "AccountSid"),
    ],
)
async def test_invalid_signed_fields_are_422(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, change: Any, field: str
) -> None:
    body = await problem(await post_sms(client, change(sms_form(EN_TEXT))), 422)
    assert field in {e["field"] for e in body["errors"]}
    assert memory_bus.published == []


async def test_the_longest_sms_is_accepted(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    response = await post_sms(client, sms_form("安" * 1600))
    assert response.status == 200
    assert len(memory_bus.published) == 1


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"Body=hello", "application/json", 415),
        (b"Body=hello", "text/plain", 415),
        (b"Body=" + b"x" * (64 * 1024), "application/x-www-form-urlencoded", 413),
        (b"Body=\xff\xfe", "application/x-www-form-urlencoded", 400),
        (b"Body=%FF%FE", "application/x-www-form-urlencoded", 400),
        (b"Body=a%00b", "application/x-www-form-urlencoded", 400),
        (b"Body=a\x00b", "application/x-www-form-urlencoded", 400),
        (b"no-equals-sign", "application/x-www-form-urlencoded", 400),
        (b"a=1&&b=2", "application/x-www-form-urlencoded", 400),
    ],
)
async def test_hostile_bodies_get_4xx(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    data: bytes,
    content_type: str,
    status: int,
) -> None:
    await problem(await client.post(SMS_PATH, data=data, headers={"Content-Type": content_type}), status)
    assert memory_bus.published == []


async def test_wrong_method_is_a_problem(client: TestClient[web.Request, web.Application]) -> None:
    await problem(await client.get(SMS_PATH), 405)


async def test_broker_down_answers_503_then_a_retry_succeeds(
    settings_factory: Callable[..., Settings], settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = FailingBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    form = sms_form(EN_TEXT)
    async with serve(intake_settings(settings_factory), runtime) as client:
        response = await post_sms(client, form)
        await problem(response, 503)
        assert int(response.headers["Retry-After"]) > 0
        assert bus.published == []
        bus.error = None  # the broker is back; the failure was not remembered
        response = await post_sms(client, form)
        assert response.status == 200
        assert len(bus.published) == 1
        async with ops_client(client.app) as ops:
            assert (await ops.get("/readyz")).status == 200


class GatedBus(FailingBus):
    """A bus whose publishes wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.error = None
        self.gate = asyncio.Event()
        self.waiting = 0

    async def publish(self, event: Event) -> None:
        self.waiting += 1
        await self.gate.wait()
        await super().publish(event)


async def test_a_gateway_that_hangs_up_mid_publish_does_not_stop_the_publish(
    settings_factory: Callable[..., Settings], settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = GatedBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    form = sms_form(EN_TEXT)
    async with serve(intake_settings(settings_factory), runtime) as client:
        hung_up = asyncio.ensure_future(post_sms(client, form))
        await eventually(lambda: bus.waiting == 1)
        hung_up.cancel()  # the client closes its connection while the publish waits for the broker
        with pytest.raises(asyncio.CancelledError):
            await hung_up
        await asyncio.sleep(0.05)  # the server sees the connection go
        bus.gate.set()
        await eventually(lambda: len(bus.published) == 1)
        response = await post_sms(client, form)  # the gateway's resend
        assert response.status == 200
        assert len(bus.published) == 1
        assert says_nothing(await response.text())


async def test_health_routes_report_the_bus(
    settings_factory: Callable[..., Settings], settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    runtime = Runtime(settings, FailingBus(), db, keys, clock)
    async with serve(intake_settings(settings_factory), runtime) as client:
        assert (await client.get("/healthz")).status == 200
        async with ops_client(client.app) as ops:
            response = await ops.get("/readyz")
            assert response.status == 503
            assert (await response.json())["checks"] == {"bus": False, "store": True}
