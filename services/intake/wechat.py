"""``GET|POST /webhooks/wechat``: a WeChat Official Account's server URL (服务器地址).

WeChat calls ``GET`` once, when the URL is saved in its console, and expects the ``echostr`` back;
after that it ``POST``s every message and event of the account's followers. Both carry
``signature``, checked before anything else (:mod:`services.intake.channels.wechat_inbound`).

What a push becomes:

- **Text**: a ``grievance.received`` (channel and provider ``wechat``), the OpenID sealed like a phone
  number and keyed into ``reporter_key``, ``contact_proven`` (WeChat signed the sender). Its id is
  derived from the ``MsgId``, so WeChat's three retries make one grievance. The answer waits until
  the event is durable (confirmed, or spooled) and is empty, as for an SMS: the router sends the one
  text the message earns (:mod:`services.intake.texts`); intake cannot know whether it opens a case.
- **Voice**: ``Recognition`` is never trusted; the MediaId is kept (:mod:`services.intake.wechat_store`)
  and the worker is asked to type. Images and other messages: asked to type; nothing is kept.
- **Follow** (``subscribe``): the welcome and help text. **Unfollow**: a ``contact.withdrawn`` event,
  after which the router unlinks the OpenID from every case, and the voice notes are forgotten.
- Anything else (menu clicks, scans): an empty answer.

Every message and the follow also (re)open the 48 h customer-service window: the time it arrived
is recorded under the reporter key (:class:`services.intake.wechat_store.ServiceWindows`) before
anything else is done, so the reply the message earns finds the window open. Once the push is
durable, the messages that waited for the worker are sent (:mod:`services.intake.wechat_waiting`).
An unfollow closes the window, forgets the worker's subscription consents and makes what waited
for them undeliverable (``contact_withdrawn``).

WeChat waits 5 s, then retries (three attempts in all); an empty body tells it the push arrived.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from services.intake.channels.wechat_inbound import Opened, PushQuery, PushRefused, WeChatInbound
from services.intake.channels.wechat_messages import (
    OtherMessage,
    SubscribeEvent,
    TextMessage,
    UnsubscribeEvent,
    VoiceMessage,
)
from services.intake.publishing import RETRY_AFTER_SECONDS, NotDurable
from services.intake.state import INTAKE, IntakeState
from services.intake.texts import detect_language
from services.intake.wechat_consents import Consents
from services.intake.wechat_store import reporter_identity
from services.intake.wechat_texts import PLEASE_TYPE, WELCOME
from services.intake.wechat_waiting import WAITING
from shared.bodies import read_text_body, require_content_type
from shared.contracts import ContactWithdrawn, GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.privacy import reporter_key, seal
from shared.store import PyMongoError
from shared.web import Problem

log = structlog.get_logger(__name__)

PROVIDER = "wechat"
XML_TYPES = ("text/xml", "application/xml")
MAX_TEXT = 4000
# WeChat's echostr is a random number; anything else is not WeChat's and is not echoed.
_ECHOSTR_MAX = 128
_CHECK_MAX = 100
# What reopens the customer-service window (and so sends what waits for the worker).
_OPENS_WINDOW = (TextMessage, VoiceMessage, OtherMessage, SubscribeEvent)


def configured(request: web.Request) -> tuple[IntakeState, WeChatInbound]:
    intake = request.app[INTAKE]
    if intake.wechat is None:
        raise Problem(503, "Service Unavailable", "WeChat webhooks are not configured on this server")
    return intake, intake.wechat


def signed_query(request: web.Request, wechat: WeChatInbound) -> PushQuery:
    """The push's query once its ``signature`` verifies: 403 otherwise, 400 for an ambiguous one."""
    query = request.rel_url.query
    try:
        parsed = PushQuery.of({name: query.getall(name) for name in set(query.keys())})
        wechat.check_signature(parsed)
    except PushRefused as exc:
        raise _refusal(exc) from None
    return parsed


async def wechat_verify(request: web.Request) -> web.Response:
    """URL verification: the ``echostr`` back, verbatim, once the signature verifies."""
    _, wechat = configured(request)
    signed_query(request, wechat)
    echostr = request.rel_url.query.getall("echostr", [])
    if len(echostr) != 1 or not _printable(echostr[0]):
        raise Problem(400, "Bad Request", "echostr missing, repeated or not printable ASCII")
    return web.Response(text=echostr[0], content_type="text/plain")


async def wechat_push(request: web.Request) -> web.Response:
    intake, wechat = configured(request)
    query = signed_query(request, wechat)
    try:
        wechat.check_mode(query)
    except PushRefused as exc:
        raise _refusal(exc) from None
    require_content_type(request, *XML_TYPES)
    body = (await read_text_body(request)).encode("utf-8")
    try:
        opened = wechat.open(query, body)
    except PushRefused as exc:
        raise _refusal(exc) from None
    reply = await _handle(intake, opened)
    await _waiting(request.app, intake, opened.message)
    if reply is None:
        return web.Response(text="", content_type="text/plain")
    now = int(intake.clock().timestamp())
    return web.Response(
        text=wechat.reply(opened, query, reply, now), content_type="text/xml", charset="utf-8"
    )


async def _handle(intake: IntakeState, opened: Opened) -> str | None:
    """Make the push's effect durable; the passive reply's text (None: an empty answer)."""
    message = opened.message
    if isinstance(message, _OPENS_WINDOW):
        await _window_opened(intake, message.from_user)
    match message:
        case TextMessage():
            await _text(intake, message)
            return None
        case VoiceMessage():
            await _voice(intake, message)
            return PLEASE_TYPE
        case OtherMessage():
            return PLEASE_TYPE
        case SubscribeEvent():
            return WELCOME
        case UnsubscribeEvent():
            await _unsubscribe(intake, message)
            return None
        case _:
            return None


async def _waiting(app: web.Application, intake: IntakeState, message: object) -> None:
    """The push is durable: a message of the worker sends what waits for them (soon, beside this
    answer); an unfollow makes it undeliverable (before the answer: a store failure is retried)."""
    waiting = app.get(WAITING)
    if waiting is None:
        return
    if isinstance(message, _OPENS_WINDOW):
        waiting.wake(reporter_key(intake.keys, _identity(message.from_user)))
    elif isinstance(message, UnsubscribeEvent):
        try:
            await waiting.withdrawn(reporter_key(intake.keys, _identity(message.from_user)))
        except PyMongoError as exc:
            log.warning("wechat_waiting_not_withdrawn", error=exc.__class__.__name__)
            raise _not_durable() from None


def _identity(openid: str) -> str:
    """What the reporter key is computed from: the OpenID, apart from every phone number."""
    return reporter_identity(openid)


async def _window_opened(intake: IntakeState, openid: str) -> None:
    """Record that the user wrote now (receipt time: ``CreateTime`` is the sender's clock)."""
    key = reporter_key(intake.keys, _identity(openid))
    try:
        await intake.windows.opened(key, intake.clock())
    except PyMongoError as exc:
        log.warning("wechat_window_not_recorded", error=exc.__class__.__name__)
        raise _not_durable() from None


async def _text(intake: IntakeState, message: TextMessage) -> None:
    text = message.content.strip()
    if not text:
        return
    if len(text) > MAX_TEXT:
        raise Problem(422, "Unprocessable Content", f"the text is longer than {MAX_TEXT} characters")
    grievance_id = grievance_id_for(PROVIDER, message.dedup_key)
    reference = reference_for(grievance_id)
    language = detect_language(text)

    def build() -> GrievanceReceived:
        keys = intake.keys
        return GrievanceReceived(
            correlation_id=grievance_id,
            grievance_id=grievance_id,
            reference=reference,
            channel="wechat",
            provider=PROVIDER,
            provider_message_id=str(message.msg_id),
            received_at=intake.clock(),
            text=text,
            language=language,
            reporter_key=reporter_key(keys, _identity(message.from_user)),
            sealed_contact=seal(keys, message.from_user),
            # WeChat signed the push (and encrypted it, in safe mode): the sender holds this OpenID.
            contact_proven=True,
            anonymous=True,
        )

    try:
        await intake.publisher.publish(grievance_id, build)
    except NotDurable:
        raise _not_durable() from None


async def _voice(intake: IntakeState, message: VoiceMessage) -> None:
    try:
        await intake.voice_notes.keep(
            message.dedup_key,
            media_id=message.media_id,
            media_format=message.format,
            reporter_key=reporter_key(intake.keys, _identity(message.from_user)),
            at=intake.clock(),
        )
    except PyMongoError as exc:
        log.warning("wechat_voice_not_kept", error=exc.__class__.__name__)
        raise _not_durable() from None


async def _unsubscribe(intake: IntakeState, message: UnsubscribeEvent) -> None:
    event_id = grievance_id_for(PROVIDER, message.dedup_key)
    key = reporter_key(intake.keys, _identity(message.from_user))

    def build() -> ContactWithdrawn:
        return ContactWithdrawn(
            id=event_id,
            correlation_id=event_id,
            channel="wechat",
            provider=PROVIDER,
            reporter_key=key,
            at=message.created_at,
        )

    try:
        await intake.publisher.publish_event(event_id, build)
        forgotten = await intake.voice_notes.forget(key)
        await intake.windows.forget(key)
        await Consents(intake.db).forget(key)
    except NotDurable:
        raise _not_durable() from None
    except PyMongoError as exc:
        log.warning("wechat_voice_not_forgotten", error=exc.__class__.__name__)
        raise _not_durable() from None
    log.info("wechat_unfollowed", voice_notes_forgotten=forgotten)


def _not_durable() -> Problem:
    problem = Problem(
        503,
        "Service Unavailable",
        "the push could not be confirmed as stored just now; WeChat's retry is safe: a message is never filed twice",
    )
    problem.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return problem


def _refusal(error: PushRefused) -> Problem:
    # The check's name only: never the signature, the ciphertext or a field's value.
    check = error.check[:_CHECK_MAX]  # a field name in it comes from the body: bounded
    log.warning("wechat_push_refused", check=check, status=error.status)
    if error.status == 403:
        return Problem(403, "Forbidden", check)
    return Problem(400, "Bad Request", check)


def _printable(value: str) -> bool:
    return 0 < len(value) <= _ECHOSTR_MAX and value.isascii() and value.isprintable()
