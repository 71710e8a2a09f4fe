"""WeChat's inbound XML: the documented message shapes parse into typed models, anything else is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.channels.wechat_crypto import SafeMode, check_url_signature
from services.intake.channels.wechat_messages import (
    MAX_BODY,
    MalformedMessage,
    OtherEvent,
    OtherMessage,
    SubscribeEvent,
    TextMessage,
    UnsubscribeEvent,
    VoiceMessage,
    parse_envelope,
    parse_message,
    text_reply,
    xml_fields,
)
from tests.fakes import sensitive
from tests.providers.wechat_push import Mode, WeChatPusher

OPENID = sensitive("oia2TjjewbmiOUlr6X-1crbLOvLw")
ACCOUNT = "gh_7f083739789a"


def push(msg_type: str, *, create_time: str = "1348831860", **fields: str) -> bytes:
    """A push in the shape of WeChat's documented samples (CDATA strings, integer seconds)."""
    parts = [
        f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>",
        f"<CreateTime>{create_time}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
        *(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items()),
    ]
    return ("<xml>\n  " + "\n  ".join(parts) + "\n</xml>").encode()


def test_text_message() -> None:
    message = parse_message(push("text", Content="车间安全出口被锁了", MsgId="1234567890123456"))
    assert isinstance(message, TextMessage)
    assert (message.to_user, message.from_user, message.content) == (ACCOUNT, OPENID, "车间安全出口被锁了")
    assert message.created_at == datetime(2012, 9, 28, 11, 31, tzinfo=UTC)
    assert message.dedup_key == f"msg:{ACCOUNT}:1234567890123456"


def test_voice_message_with_and_without_recognition() -> None:
    voice = parse_message(
        push("voice", MediaId="media_id", Format="amr", Recognition="腾讯微信团队", MsgId="1234567890123456")
    )
    assert isinstance(voice, VoiceMessage)
    assert (voice.media_id, voice.format, voice.recognition) == ("media_id", "amr", "腾讯微信团队")
    bare = parse_message(push("voice", MediaId="media_id", Format="amr", MsgId="1"))
    assert isinstance(bare, VoiceMessage)
    assert bare.recognition is None


def test_follow_and_unfollow_events() -> None:
    follow = parse_message(push("event", Event="subscribe"))
    assert isinstance(follow, SubscribeEvent)
    assert follow.event_key is None
    scanned = parse_message(push("event", Event="subscribe", EventKey="qrscene_123123", Ticket="TICKET"))
    assert isinstance(scanned, SubscribeEvent)
    assert scanned.event_key == "qrscene_123123"
    unfollow = parse_message(push("event", Event="unsubscribe", EventKey=""))
    assert isinstance(unfollow, UnsubscribeEvent)


def test_events_are_deduplicated_on_sender_and_create_time() -> None:
    first = parse_message(push("event", Event="subscribe"))
    retry = parse_message(push("event", Event="subscribe"))
    later = parse_message(push("event", Event="subscribe", create_time="1348831861"))
    assert first.dedup_key == retry.dedup_key == f"event:{ACCOUNT}:{OPENID}:1348831860"
    assert later.dedup_key != first.dedup_key


def test_other_real_traffic_is_typed_not_refused() -> None:
    image = parse_message(push("image", PicUrl="http://example.invalid/p.jpg", MediaId="m", MsgId="42"))
    assert isinstance(image, OtherMessage)
    assert (image.msg_type, image.dedup_key) == ("image", f"msg:{ACCOUNT}:42")
    click = parse_message(push("event", Event="CLICK", EventKey="MENU_1"))
    assert isinstance(click, OtherEvent)
    assert click.event == "CLICK"
    scan = parse_message(
        b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>event</MsgType><Event>scancode_push</Event><ScanCodeInfo><ScanType>qrcode</ScanType>"
        b"<ScanResult>1</ScanResult></ScanCodeInfo></xml>"
    )
    assert isinstance(scan, OtherEvent)


def test_unknown_fields_are_ignored() -> None:
    message = parse_message(push("text", Content="hi", MsgId="7", MsgDataId="x", Idx="1", Encrypt="abc"))
    assert isinstance(message, TextMessage)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<xml><Content>&b;</Content></xml>"
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>'


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"", "empty"),
        (b"not xml", "not xml"),
        (b"<xml><Content>unclosed</xml>", "not well formed"),
        (BILLION_LAUGHS, "entity expansion"),
        (EXTERNAL, "external entity"),
        (b'<!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd"><xml/>', "external DTD"),
        (
            push("text", Content="hi", MsgId="1")
            .replace(b"<xml>", b"<message>")
            .replace(b"</xml>", b"</message>"),
            "root",
        ),
        (
            push("text", Content="hi", MsgId="1").replace(b"</xml>", b"<Content>again</Content></xml>"),
            "repeat",
        ),
        (push("text", Content="hi", MsgId="1").replace(f"<![CDATA[{OPENID}]]>".encode(), b""), "no sender"),
        (push("text", Content="hi", MsgId="1").replace(OPENID.encode(), b"o<script>"), "bad sender"),
        (push("text", Content="hi", MsgId="1", create_time="1518774424438"), "milliseconds"),
        (push("text", Content="hi", MsgId="1", create_time="0"), "zero time"),
        (push("text", Content="hi", MsgId="1", create_time="yesterday"), "text time"),
        (push("text", Content="hi", MsgId="-1"), "negative id"),
        (push("text", Content="hi", MsgId=str(2**64)), "id too large"),
        (push("text", Content="", MsgId="1"), "empty text"),
        (push("text", MsgId="1"), "no content"),
        (push("text", Content="hi"), "no msgid"),
        (push("voice", Format="amr", MsgId="1"), "voice without media"),
        (push("event"), "event without event"),
        (push("event", Event="sub scribe"), "garbled event"),
        (push("", Content="hi", MsgId="1"), "no type"),
        (push("text/../x", Content="hi", MsgId="1"), "garbled type"),
        (b"<xml><MsgType>text</MsgType>" + b"x" * MAX_BODY + b"</xml>", "too large"),
    ],
)
def test_malformed_pushes_are_refused(body: bytes, why: str) -> None:
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_refusals_name_the_field_but_never_its_value() -> None:
    with pytest.raises(MalformedMessage) as refused:
        parse_message(push("text", Content="hi", MsgId="1").replace(OPENID.encode(), b"o<script>"))
    assert "FromUserName" in str(refused.value)
    assert "script" not in str(refused.value)


def test_safe_mode_envelope() -> None:
    envelope = parse_envelope(
        b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[abc=]]></Encrypt>"
        b"<AgentID><![CDATA[218]]></AgentID></xml>"
    )
    assert (envelope.to_user, envelope.encrypt, envelope.agent_id) == ("gh_1", "abc=", "218")
    with pytest.raises(MalformedMessage):
        parse_envelope(b"<xml><ToUserName>gh_1</ToUserName></xml>")


def test_text_reply_escapes_a_cdata_terminator() -> None:
    reply = text_reply(OPENID, ACCOUNT, "a]]><Content>b</Content>", 1348831860)
    fields = xml_fields(reply)
    assert fields["Content"] == "a]]><Content>b</Content>"
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (OPENID, ACCOUNT, "text")


# XML 1.0 allows neither control characters nor lone surrogates, and parsers normalise \r to \n.
_XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), min_size=1
)


@given(content=_XML_TEXT)
def test_text_reply_round_trips_any_text(content: str) -> None:
    reply = text_reply(OPENID, ACCOUNT, content, 1)
    assert xml_fields(reply)["Content"] == content


def test_pushes_built_for_webhook_tests_open_like_wechats() -> None:
    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    pusher = WeChatPusher(token="spamtest", app_id="wx2c2769f8efd9abc2", encoding_aes_key=key)
    xml = push("text", Content="车间安全出口被锁了", MsgId="1")
    safe = SafeMode("spamtest", "wx2c2769f8efd9abc2", key)
    modes: tuple[Mode, ...] = ("safe", "compatible")
    for mode in modes:
        sent = pusher.push(xml, mode=mode)
        q = sent.query
        assert check_url_signature("spamtest", q["timestamp"], q["nonce"], q["signature"])
        envelope = parse_envelope(sent.body)
        opened = safe.decrypt(
            timestamp=q["timestamp"], nonce=q["nonce"], encrypt=envelope.encrypt, signature=q["msg_signature"]
        )
        assert parse_message(opened.message) == parse_message(xml)
    plain = pusher.push(xml, mode="plaintext")
    assert "msg_signature" not in plain.query and plain.body == xml
    assert parse_message(pusher.push(xml, mode="compatible").body) == parse_message(xml)
