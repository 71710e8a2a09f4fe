"""The WeChat Official Account webhook through a real aiohttp server: verification, plaintext and safe
mode, retries, rotation, follows and unfollows, voice, refusals, and how long an answer takes."""

from __future__ import annotations

import asyncio
import base64
import struct
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from services.intake import store
from services.intake.channels.wechat_crypto import aes_key, msg_signature, url_signature
from services.intake.channels.wechat_messages import xml_fields
from services.intake.wechat_store import ServiceWindows, VoiceNotes
from services.intake.wechat_texts import PLEASE_TYPE, WELCOME
from shared.contracts import ContactWithdrawn, GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.memorybus import MemoryBus
from shared.privacy import Keys, reporter_key, unseal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database, ensure_indexes
from tests.fakes import OTHER_WORKER_OPENID, WORKER_OPENID, FakeClock, sensitive
from tests.polling import eventually
from tests.providers.wechat_push import Push, WeChatPusher
from tests.service.intake_support import FAST_RELAY, FailingBus, FakeTwilio, serve
from tests.service.test_intake_sender import outbound, record, sender_for
from tests.service.wechat_support import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    OLD_AES_KEY,
    OTHER_AES_KEY,
    PATH,
    TOKEN,
    event_xml,
    msg_id,
    opened_reply,
    post_push,
    pusher,
    send,
    text_xml,
    voice_xml,
    wechat_settings,
)
from tests.unit.test_wechat_crypto import (
    V1_NONCE,
    V1_SIGNATURE,
    V1_TIMESTAMP,
    V1_TOKEN,
    V2_APPID,
    V2_BODY,
    V2_KEY,
    V2_NONCE,
    V2_SIGNATURE,
    V2_TIMESTAMP,
    V2_TOKEN,
)

ZH_TEXT = sensitive("车间安全出口被锁，晚上加班不给加班费")
EN_TEXT = sensitive("The canteen food made twenty of us sick this week")


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with serve(wechat_settings(settings_factory), runtime) as client:
        yield client


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def plain_client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with serve(wechat_settings(settings_factory, safe=False), runtime) as client:
        yield client


def grievances(bus: MemoryBus) -> list[GrievanceReceived]:
    return [e for e in bus.published if isinstance(e, GrievanceReceived)]


# --- URL verification ------------------------------------------------------------------------------


async def test_url_verification_answers_the_echostr_for_wechats_published_signature(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    """V1 of WeChat's encryption guide (Token AAAAA) through the server: the echostr comes back."""
    async with serve(wechat_settings(settings_factory, safe=False, wechat_token=V1_TOKEN), runtime) as client:
        query = {
            "signature": V1_SIGNATURE,
            "timestamp": V1_TIMESTAMP,
            "nonce": V1_NONCE,
            "echostr": "5837397749",
        }
        response = await client.get(PATH, params=query)
        assert response.status == 200 and response.content_type == "text/plain"
        assert await response.text() == "5837397749"
        wrong = await client.get(PATH, params={**query, "nonce": "486452657"})
        assert wrong.status == 403 and wrong.content_type == "application/problem+json"
        assert "5837397749" not in await wrong.text()


async def test_url_verification_refuses_a_missing_or_odd_echostr(
    client: TestClient[web.Request, web.Application],
) -> None:
    account = pusher()
    query = account.verify_url("1234567890")
    assert (await client.get(PATH, params=query)).status == 200
    missing = {k: v for k, v in query.items() if k != "echostr"}
    assert (await client.get(PATH, params=missing)).status == 400
    for odd in ("", "x" * 129, "a\tb", "工厂"):
        assert (await client.get(PATH, params={**query, "echostr": odd})).status == 400
    unsigned = {k: v for k, v in query.items() if k != "signature"}
    assert (await client.get(PATH, params=unsigned)).status == 403


async def test_without_a_token_both_routes_answer_503(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    async with serve(settings_factory(), runtime) as client:
        account = pusher()
        assert (await client.get(PATH, params=account.verify_url("1"))).status == 503
        response = await send(client, account, text_xml(EN_TEXT), mode="plaintext")
        assert response.status == 503 and response.content_type == "application/problem+json"
    assert memory_bus.published == []


# --- text messages ---------------------------------------------------------------------------------


async def test_a_safe_mode_text_becomes_one_grievance_answered_with_an_empty_body(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keys: Keys, clock: FakeClock
) -> None:
    message_id = msg_id()
    push = pusher().push(text_xml(ZH_TEXT, message_id=message_id))
    response = await post_push(client, push)
    assert response.status == 200
    [event] = grievances(memory_bus)
    assert event.grievance_id == grievance_id_for("wechat", f"msg:{ACCOUNT}:{message_id}")
    assert event.reference == reference_for(event.grievance_id)
    assert (event.channel, event.provider, event.provider_message_id) == ("wechat", "wechat", str(message_id))
    assert event.text == ZH_TEXT and event.language == "zh"
    assert event.contact_proven is True and event.anonymous is True
    assert event.sealed_contact is not None and unseal(keys, event.sealed_contact) == WORKER_OPENID
    assert event.reporter_key == reporter_key(keys, f"wechat:{WORKER_OPENID}")
    assert event.gateway_number is None and event.received_at == clock.now
    # The router sends the one text the message earns (as for SMS): intake says nothing.
    assert await response.text() == ""


async def test_wechats_three_tries_make_one_grievance_with_one_answer(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    """WeChat retries a push it got no answer to (three tries in all), with the same MsgId."""
    account, xml = pusher(), text_xml(EN_TEXT)
    for _ in range(3):
        push = account.push(xml)  # each try: a new timestamp and nonce, the same message
        response = await post_push(client, push)
        assert response.status == 200 and await response.text() == ""
    assert len(grievances(memory_bus)) == 1
    concurrent = await asyncio.gather(*(send(client, account, xml) for _ in range(3)))
    assert [r.status for r in concurrent] == [200] * 3
    assert len(grievances(memory_bus)) == 1


async def test_the_same_msgid_from_another_account_is_another_grievance(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    account, message_id = pusher(), msg_id()
    await send(client, account, text_xml(EN_TEXT, message_id=message_id))
    await send(client, account, text_xml(EN_TEXT, message_id=message_id, openid=OTHER_WORKER_OPENID))
    assert len(grievances(memory_bus)) == 1  # MsgId is unique per account: the same message
    second_account = WeChatPusher(
        token=TOKEN, app_id=APP_ID, encoding_aes_key=AES_KEY, account="gh_000000000001"
    )
    other = text_xml(EN_TEXT, message_id=message_id).replace(ACCOUNT.encode(), b"gh_000000000001")
    assert (await send(client, second_account, other)).status == 200
    assert len(grievances(memory_bus)) == 2
    # The envelope's account and the encrypted message's must agree.
    assert (await send(client, account, other)).status == 400


async def test_a_plaintext_push_in_plaintext_mode(
    plain_client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    response = await send(plain_client, pusher(), text_xml(EN_TEXT), mode="plaintext")
    assert response.status == 200
    [event] = grievances(memory_bus)
    assert event.text == EN_TEXT and event.language == "en" and await response.text() == ""
    follow = await send(plain_client, pusher(), event_xml("subscribe"), mode="plaintext")
    reply = xml_fields((await follow.text()).encode())  # a passive reply in plaintext mode: not encrypted
    assert reply["ToUserName"] == WORKER_OPENID and reply["Content"] == WELCOME


async def test_a_keyword_is_published_and_answered_with_an_empty_body(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    """The router answers keywords itself (as for SMS): the passive reply stays empty."""
    response = await send(client, pusher(), text_xml("状态"))
    assert response.status == 200 and await response.text() == ""
    [event] = grievances(memory_bus)
    assert event.text == "状态"


async def test_wechats_published_sample_push_through_the_server(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    """V2, WeChat's WXBizMsgCrypt sample (compatible mode): only the ciphertext is read."""
    settings = wechat_settings(
        settings_factory, wechat_token=V2_TOKEN, wechat_appid=V2_APPID, wechat_aes_key=V2_KEY
    )
    query = {
        "signature": url_signature(V2_TOKEN, V2_TIMESTAMP, V2_NONCE),
        "timestamp": V2_TIMESTAMP,
        "nonce": V2_NONCE,
        "encrypt_type": "aes",
        "msg_signature": V2_SIGNATURE,
    }
    async with serve(settings, runtime) as client:
        response = await post_push(client, Push(query, V2_BODY))
        assert response.status == 200
        tampered = V2_BODY.replace(b"abcdteT", b"forged!")  # the plaintext twin is never read
        assert (await post_push(client, Push(query, tampered))).status == 200
    [event] = grievances(memory_bus)
    assert event.text == "abcdteT" and event.provider_message_id == "6054768590064713728"
    assert event.reporter_key == reporter_key(runtime.keys, f"wechat:{OTHER_WORKER_OPENID}")


# --- refusals --------------------------------------------------------------------------------------


async def test_bad_signatures_are_403_and_publish_nothing(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    account = pusher()
    good = account.push(text_xml(EN_TEXT))
    for name, value in (
        ("signature", "0" * 40),
        ("msg_signature", "0" * 40),
        ("signature", None),
        ("msg_signature", None),
    ):
        query = {k: v for k, v in good.query.items() if k != name}
        if value is not None:
            query[name] = value
        response = await post_push(client, Push(query, good.body))
        assert response.status == 403, name
        assert response.content_type == "application/problem+json"
    forged = pusher(token="someone-elses-token-0123456789").push(text_xml(EN_TEXT))
    assert (await post_push(client, forged)).status == 403
    assert memory_bus.published == []


async def test_ciphertexts_that_do_not_open_are_refused(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    account = pusher()
    # Another account's AppID inside a correctly signed ciphertext: 403.
    assert (await send(client, pusher(app_id="wx0000000000000000"), text_xml(EN_TEXT))).status == 403
    # A key neither current nor previous: the padding does not check out (or the AppID is garbage).
    assert (await send(client, pusher(key=OTHER_AES_KEY), text_xml(EN_TEXT))).status in (400, 403)
    # Correctly signed, but cut short, or not base64 at all.
    for ciphertext in (base64.b64encode(b"x" * 31).decode(), "not base64 !!"):
        push = account.push(text_xml(EN_TEXT))
        body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
        resigned = _resigned(push, ciphertext)
        response = await post_push(client, Push(resigned, body.encode()))
        assert response.status == 400
    assert memory_bus.published == []


@pytest.mark.parametrize(
    "tail",
    [
        b"\x00" * 4,  # pad 0
        b"\x21" * 4,  # pad 33 > 32
        b"\x03\x04\x04\x04",  # pad 4, bytes that disagree
        "length",  # a length running past the end, well padded
    ],
    ids=["pad 0", "pad 33", "unequal pad bytes", "length past the end"],
)
async def test_bad_padding_or_length_in_a_signed_ciphertext_is_400(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, tail: Any
) -> None:
    """Ciphertexts built with raw AES under our key, each wrong in one way only, each signed."""
    message = text_xml(EN_TEXT)
    length = len(message) + (1000 if tail == "length" else 0)
    plain = b"16 random bytes!" + struct.pack(">I", length) + message + APP_ID.encode()
    if tail == "length":
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
    else:
        plain += b"p" * ((-len(plain) - len(tail)) % 32) + tail
    key = aes_key(AES_KEY)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    ciphertext = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    push = pusher().push(message)
    body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    response = await post_push(client, Push(_resigned(push, ciphertext), body.encode()))
    assert response.status == 400 and response.content_type == "application/problem+json"
    assert memory_bus.published == []


def _resigned(push: Push, ciphertext: str) -> dict[str, str]:
    query = dict(push.query)
    query["msg_signature"] = msg_signature(TOKEN, query["timestamp"], query["nonce"], ciphertext)
    return query


async def test_modes_are_not_mixed(
    client: TestClient[web.Request, web.Application],
    plain_client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
) -> None:
    """With safe mode configured a plaintext push is refused (its body is signed by nothing); without
    an EncodingAESKey a ciphertext cannot be opened."""
    assert (await send(client, pusher(), text_xml(EN_TEXT), mode="plaintext")).status == 403
    assert (await send(plain_client, pusher(), text_xml(EN_TEXT), mode="safe")).status == 400
    assert memory_bus.published == []


async def test_malformed_bodies_are_400_and_wrong_types_415(
    plain_client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    account = pusher()
    for body in (
        b"<xml><ToUserName>a</ToUserName>",
        b'<!DOCTYPE xml [<!ENTITY e "x">]><xml><Content>&e;</Content></xml>',
        b"<root/>",
        text_xml(EN_TEXT)
        .replace(b"<CreateTime>", b"<CreateTime>1")
        .replace(b"</CreateTime>", b"000</CreateTime>"),
        text_xml(EN_TEXT).replace(b"<MsgId>", b"<MsgId>x"),
    ):
        response = await post_push(plain_client, account.push(body, mode="plaintext"))
        assert response.status == 400, body
    response = await post_push(
        plain_client, account.push(text_xml(EN_TEXT), mode="plaintext"), content_type="application/json"
    )
    assert response.status == 415
    assert (await send(plain_client, account, text_xml("x" * 4001), mode="plaintext")).status == 422
    assert memory_bus.published == []


# --- key rotation ----------------------------------------------------------------------------------


async def test_the_previous_key_opens_pushes_during_a_rotation_and_the_reply_uses_it(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    settings = wechat_settings(settings_factory, wechat_aes_key=AES_KEY, wechat_aes_key_previous=OLD_AES_KEY)
    async with serve(settings, runtime) as client:
        old = pusher(key=OLD_AES_KEY)
        assert (await send(client, old, text_xml(EN_TEXT))).status == 200
        push = old.push(event_xml("subscribe"))
        response = await post_push(client, push)
        assert response.status == 200
        reply = opened_reply(await response.text(), push, key=OLD_AES_KEY)  # the key it came in
        assert reply["ToUserName"] == WORKER_OPENID and reply["Content"] == WELCOME
        assert (await send(client, pusher(key=AES_KEY), text_xml(ZH_TEXT))).status == 200
        assert (await send(client, pusher(key=OTHER_AES_KEY), text_xml(EN_TEXT))).status in (400, 403)
    assert len(grievances(memory_bus)) == 2
    # After the rotation the old key is dropped from the settings, and it opens nothing any more.
    async with serve(wechat_settings(settings_factory), runtime) as client:
        assert (await send(client, pusher(key=OLD_AES_KEY), text_xml(EN_TEXT))).status in (400, 403)
    assert len(grievances(memory_bus)) == 2


# --- events, voice, other messages -----------------------------------------------------------------


async def test_a_follow_gets_the_welcome_as_a_passive_reply_and_publishes_nothing(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    push = pusher().push(event_xml("subscribe", extra="<EventKey><![CDATA[qrscene_GZ-001]]></EventKey>"))
    response = await post_push(client, push)
    assert response.status == 200
    reply = opened_reply(await response.text(), push)
    assert reply["Content"] == WELCOME and reply["ToUserName"] == WORKER_OPENID
    assert memory_bus.published == []


async def test_an_unfollow_withdraws_the_contact_once_and_forgets_the_voice_notes(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    keys: Keys,
    db: Database,
    clock: FakeClock,
) -> None:
    clock.now = datetime.now(UTC)  # the store's TTL index expires records by the real time
    account = pusher()
    await send(client, account, voice_xml("media-id-unfollow-0001"))
    key = reporter_key(keys, f"wechat:{WORKER_OPENID}")
    notes = VoiceNotes(db)
    assert await notes.of_reporter(key) == ["media-id-unfollow-0001"]
    unfollow = event_xml("unsubscribe", create_time=1_772_500_000)
    for _ in range(3):
        response = await send(client, account, unfollow)
        assert response.status == 200 and await response.text() == ""
    withdrawn = [e for e in memory_bus.published if isinstance(e, ContactWithdrawn)]
    assert len(withdrawn) == 1
    [event] = withdrawn
    assert event.reporter_key == key and event.channel == "wechat" and event.provider == "wechat"
    assert event.id == grievance_id_for("wechat", f"event:{ACCOUNT}:{WORKER_OPENID}:1772500000")
    assert await notes.of_reporter(key) == []
    assert WORKER_OPENID not in event.to_json().decode()


async def test_a_voice_note_keeps_its_mediaid_asks_to_type_and_ignores_recognition(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    keys: Keys,
    db: Database,
    clock: FakeClock,
) -> None:
    clock.now = datetime.now(UTC)  # the store's TTL index expires records by the real time
    account = pusher()
    push = account.push(voice_xml("media-id-voice-0001", recognition=sensitive("我们被锁在宿舍里")))
    for _ in range(2):  # a retry keeps one record
        response = await post_push(client, push)
        assert response.status == 200
        assert opened_reply(await response.text(), push)["Content"] == PLEASE_TYPE
    assert memory_bus.published == []  # Recognition is never taken for the worker's words
    assert await VoiceNotes(db).of_reporter(reporter_key(keys, f"wechat:{WORKER_OPENID}")) == [
        "media-id-voice-0001"
    ]


async def test_images_get_asked_to_type_and_menu_events_an_empty_answer(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    account = pusher()
    image = text_xml("x").replace(
        b"<MsgType><![CDATA[text]]></MsgType>", b"<MsgType><![CDATA[image]]></MsgType>"
    )
    push = account.push(image)
    response = await post_push(client, push)
    assert response.status == 200 and opened_reply(await response.text(), push)["Content"] == PLEASE_TYPE
    click = await send(client, account, event_xml("CLICK", extra="<EventKey>MENU_1</EventKey>"))
    assert click.status == 200 and await click.text() == ""
    assert memory_bus.published == []


async def test_messages_and_the_follow_open_the_service_window_and_menu_clicks_do_not(
    client: TestClient[web.Request, web.Application], keys: Keys, db: Database, clock: FakeClock
) -> None:
    windows = ServiceWindows(db)
    account = pusher()
    for index, (xml, opens) in enumerate(
        [
            (event_xml("CLICK", extra="<EventKey>MENU_1</EventKey>"), False),
            (event_xml("subscribe"), True),
            (voice_xml("media-id-window-0001"), True),
            (text_xml("x").replace(b"[text]", b"[image]"), True),
            (text_xml(ZH_TEXT), True),
        ]
    ):
        openid = sensitive(f"oWindowTestUser{index}abcdefghijkl")
        response = await send(client, account, xml.replace(WORKER_OPENID.encode(), openid.encode()))
        assert response.status == 200
        last = await windows.last_inbound(reporter_key(keys, f"wechat:{openid}"))
        assert last == (clock() if opens else None)
    clock.advance(minutes=5)  # a retry of an older push never moves the time back
    key = reporter_key(keys, f"wechat:{WORKER_OPENID}")
    await windows.opened(key, clock())
    await windows.opened(key, clock() - timedelta(hours=1))
    assert await windows.last_inbound(key) == clock()


# --- durable first, then the answer (bench/deadlines.py measures how long) --------------------------


async def test_the_answer_waits_for_durability_or_is_a_503_that_wechat_retries(
    settings_factory: Callable[..., Settings],
    settings: Settings,
    db: Database,
    keys: Keys,
    clock: FakeClock,
    memory_bus: MemoryBus,
    runtime: Runtime,
) -> None:
    account = pusher()
    async with serve(wechat_settings(settings_factory), runtime) as client:
        for _ in range(10):
            assert (await send(client, account, text_xml(EN_TEXT))).status == 200
    assert len(grievances(memory_bus)) == 10  # each answered once its grievance was confirmed
    # The broker does not confirm and nothing durable stands in: 503, and WeChat's retry is safe.
    down = Runtime(settings, FailingBus(), db, keys, clock)
    async with serve(wechat_settings(settings_factory), down) as client:
        response = await send(client, account, text_xml(EN_TEXT))
        assert response.status == 503 and response.headers["Retry-After"] == "5"
    # With the spool, the same outage is answered at once, as after a confirm.
    bus = FailingBus()
    spooled = Runtime(settings, bus, db, keys, clock)
    async with serve(wechat_settings(settings_factory), spooled, spool=True, relay=FAST_RELAY) as client:
        push = account.push(text_xml(ZH_TEXT))
        response = await post_push(client, push)
        assert response.status == 200
        assert await response.text() == ""
        unfollow = await send(client, account, event_xml("unsubscribe"))
        assert unfollow.status == 200
        assert await db["intake_spool"].count_documents({}) == 2
        assert bus.published == []
        bus.error = None  # the broker is back: the relay publishes both, the unfollow included
        await eventually(lambda: len(bus.published) == 2, seconds=10)
    assert {type(e) for e in bus.published} == {GrievanceReceived, ContactWithdrawn}


# --- what goes back: not yet on WeChat ---------------------------------------------------------------


async def test_a_message_for_a_wechat_case_is_undeliverable_whichever_channel_is_configured(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    keys: Keys,
    twilio: FakeTwilio,
    session: aiohttp.ClientSession,
) -> None:
    """Without GRIEVANCE_WECHAT_APPSECRET, a text for a WeChat worker is recorded undeliverable
    (channel_unconfigured), never sent by SMS to an OpenID, and nothing crashes."""
    await ensure_indexes(runtime.db, store.INDEXES)
    event = outbound(keys, "委员会回复", contact=WORKER_OPENID, channel="wechat", gateway_number=None)
    await sender_for(runtime, twilio, session).handle(event)
    assert twilio.requests == []
    assert (await record(runtime, event))["reason"] == "channel_unconfigured"
    deployed = wechat_settings(settings_factory, amqp_url="amqp://broker/", mongo_url="mongodb://store/")
    async with serve(deployed, runtime):
        second = outbound(keys, "委员会回复", contact=WORKER_OPENID, channel="wechat", gateway_number=None)
        await memory_bus.publish(second)
        await memory_bus.drain()
    stored = await record(runtime, second)
    assert (stored["status"], stored["reason"]) == ("undeliverable", "channel_unconfigured")
