"""WeChat's inbound XML as typed messages, parsed as the untrusted input it is.

WeChat posts ``<xml>`` documents whose direct children are the fields (``ToUserName``,
``FromUserName``, ``CreateTime`` in integer seconds, ``MsgType``, ...). The body arrives from the
open internet before any signature is known to be good, so it is parsed with ``defusedxml`` (no
DTDs, no entities, no external references) and refused whole when it is not exactly that shape: a
root other than ``<xml>``, a repeated field, a missing or mistyped field, a ``CreateTime`` that is
not a plausible number of seconds (some libraries wrongly treat it as milliseconds). Fields WeChat
adds later are ignored.

Text, voice and follow/unfollow events are modelled in full. Other message types and events are
real WeChat traffic too (images, menu clicks), so they parse into :class:`OtherMessage` and
:class:`OtherEvent` instead of being refused; the webhook can answer them without a grievance.

``dedup_key`` follows WeChat's own advice: a message is identified by its ``MsgId``, an event by
``FromUserName`` + ``CreateTime``; both are scoped by the account (``ToUserName``). The key holds the
worker's OpenID, so it is for the store, never for a log line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

MAX_BODY = 64 * 1024
# 2100-01-01T00:00:00Z: anything later is a millisecond timestamp or garbage.
_LATEST_CREATE_TIME = 4_102_444_800

Account = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
OpenId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Word = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_]{1,32}$")]
MsgId = Annotated[int, Field(ge=0, lt=2**64)]


class MalformedMessage(ValueError):
    """The body is not a WeChat message; the text names the field, never its value."""


class _Push(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    to_user: Account = Field(alias="ToUserName")
    from_user: OpenId = Field(alias="FromUserName")
    create_time: int = Field(alias="CreateTime", ge=1, le=_LATEST_CREATE_TIME)

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.create_time, UTC)


class _Message(_Push):
    msg_id: MsgId = Field(alias="MsgId")

    @property
    def dedup_key(self) -> str:
        return f"msg:{self.to_user}:{self.msg_id}"


class _Event(_Push):
    @property
    def dedup_key(self) -> str:
        return f"event:{self.to_user}:{self.from_user}:{self.create_time}"


class TextMessage(_Message):
    msg_type: Literal["text"] = Field(alias="MsgType")
    content: str = Field(alias="Content", min_length=1)


class VoiceMessage(_Message):
    """A voice note. ``recognition`` is WeChat's speech-to-text, which WeChat plans to retire: optional."""

    msg_type: Literal["voice"] = Field(alias="MsgType")
    media_id: str = Field(alias="MediaId", min_length=1, max_length=256)
    format: str = Field(alias="Format", min_length=1, max_length=16)
    recognition: str | None = Field(default=None, alias="Recognition")


class OtherMessage(_Push):
    """A real message of a type the channel does not take (image, video, location, link, ...)."""

    msg_type: Word = Field(alias="MsgType")
    msg_id: MsgId | None = Field(default=None, alias="MsgId")

    @property
    def dedup_key(self) -> str:
        if self.msg_id is not None:
            return f"msg:{self.to_user}:{self.msg_id}"
        return f"event:{self.to_user}:{self.from_user}:{self.create_time}"


class SubscribeEvent(_Event):
    """A follow; ``event_key`` is ``qrscene_<param>`` when the user followed through a QR code."""

    msg_type: Literal["event"] = Field(alias="MsgType")
    event: Literal["subscribe"] = Field(alias="Event")
    event_key: str | None = Field(default=None, alias="EventKey", max_length=256)


class UnsubscribeEvent(_Event):
    """An unfollow: WeChat requires that everything held about the user be deleted."""

    msg_type: Literal["event"] = Field(alias="MsgType")
    event: Literal["unsubscribe"] = Field(alias="Event")


class OtherEvent(_Event):
    """An event the channel does not act on (SCAN, CLICK, VIEW, LOCATION, ...)."""

    msg_type: Literal["event"] = Field(alias="MsgType")
    event: Word = Field(alias="Event")


M = TypeVar("M", bound=BaseModel)

InboundMessage = TextMessage | VoiceMessage | OtherMessage | SubscribeEvent | UnsubscribeEvent | OtherEvent


class EncryptedEnvelope(BaseModel):
    """A safe-mode body: the ciphertext and the account it is for (WeCom adds the agent id)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    to_user: Account | None = Field(default=None, alias="ToUserName")
    encrypt: str = Field(alias="Encrypt", min_length=1, max_length=MAX_BODY)
    agent_id: str | None = Field(default=None, alias="AgentID", max_length=32)


_MESSAGES: dict[str, type[TextMessage | VoiceMessage]] = {"text": TextMessage, "voice": VoiceMessage}
_EVENTS: dict[str, type[SubscribeEvent | UnsubscribeEvent]] = {
    "subscribe": SubscribeEvent,
    "unsubscribe": UnsubscribeEvent,
}


def xml_fields(body: bytes) -> dict[str, str]:
    """The text of each direct child of the ``<xml>`` root, by tag; MalformedMessage for anything else."""
    if len(body) > MAX_BODY:
        raise MalformedMessage("body too large")
    try:
        root: Element = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedMessage("body is not well-formed XML without a DTD or entities") from exc
    if root.tag != "xml":
        raise MalformedMessage("root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if child.tag in fields:
            raise MalformedMessage(f"field {child.tag} repeated")
        # Nested structures (ScanCodeInfo, SendPicsInfo, ...) carry nothing the channel uses.
        fields[child.tag] = "" if len(child) else (child.text or "")
    return fields


def parse_message(body: bytes) -> InboundMessage:
    """The typed message in a (decrypted) WeChat push; MalformedMessage when it is not one."""
    fields = xml_fields(body)
    msg_type = fields.get("MsgType", "").strip()
    model: type[InboundMessage]
    if msg_type == "event":
        model = _EVENTS.get(fields.get("Event", "").strip(), OtherEvent)
    else:
        model = _MESSAGES.get(msg_type, OtherMessage)
    return _validate(model, fields)


def parse_envelope(body: bytes) -> EncryptedEnvelope:
    """The ciphertext of a safe-mode (or compatible-mode) push; MalformedMessage when it has none."""
    return _validate(EncryptedEnvelope, xml_fields(body))


def _validate(model: type[M], fields: dict[str, str]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        names = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        raise MalformedMessage(f"invalid or missing field(s): {', '.join(names)}") from None


def text_reply(to_user: str, from_account: str, content: str, create_time: int) -> bytes:
    """A passive text reply (encrypt it with :meth:`SafeMode.encrypt_reply` in safe mode)."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_account)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    ).encode()


def _cdata(text: str) -> str:
    # "]]>" would end the section early: split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
