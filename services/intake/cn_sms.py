"""Workers' SMS through Alibaba Cloud and Tencent Cloud: the uplink webhooks.

``POST /webhooks/aliyun/sms/{secret}`` takes Alibaba's SmsUp push (a JSON array of replies),
``POST /webhooks/tencent/sms/{secret}`` Tencent's reply callback (one object). Neither provider signs
its pushes, so the last path segment is a long random secret (``GRIEVANCE_ALIYUN_CALLBACK_SECRET``,
``GRIEVANCE_TENCENT_CALLBACK_SECRET``), compared in constant time; a wrong one, or none configured,
is the 404 of a path that does not exist, so a prober learns nothing. Only then is the body read,
strictly and whole (:mod:`services.intake.channels.aliyun_push`, :mod:`~services.intake.channels.tencent_push`):
one bad item refuses the push (400) and nothing is filed.

Each uplink becomes a ``grievance.received`` (channel ``sms``, provider ``aliyun`` or ``tencent``)
whose id is derived from the provider's dedup key (Alibaba: number and ``sequence_id``; Tencent:
number, time and text), so the up to ten repeats of a push are one grievance, in any replica;
:mod:`services.intake.cn_sms_store` answers a repeat without publishing again. The gateway number
is ``aliyun:<dest_code>`` or ``tencent:<extend>``, so the reply goes back through the same provider.
The sender's number is proven as far as the provider's word goes: it reached us under the secret.

The answer (``{"code":0,"msg":"接收成功"}``, ``{"result":0,"errmsg":"OK"}``) goes out once every
uplink is durable, confirmed by the broker within :data:`PUBLISH_BUDGET` or else spooled, so well
inside Alibaba's 700 ms; when neither holds it, 503 and the provider's retry is safe.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass

import structlog
from aiohttp import web

from services.intake.channels import aliyun_push, tencent_push
from services.intake.cn_sms_store import Uplinks, uplink_id
from services.intake.contacts import sender_of
from services.intake.publishing import RETRY_AFTER_SECONDS, NotDurable
from services.intake.state import INTAKE, IntakeState
from services.intake.texts import detect_language
from shared.bodies import read_text_body
from shared.contracts import GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.privacy import reporter_key, seal
from shared.settings import Settings
from shared.store import PyMongoError
from shared.web import Problem, json_response

log = structlog.get_logger(__name__)

# Seconds the broker has to confirm an uplink before it is spooled instead: Alibaba gives up at 700 ms.
PUBLISH_BUDGET = 0.3


@dataclass(frozen=True)
class CallbackSecrets:
    """The path secret of each provider's webhooks; None: that provider's webhooks do not exist."""

    aliyun: str | None
    tencent: str | None

    @classmethod
    def of(cls, settings: Settings) -> CallbackSecrets:
        aliyun, tencent = settings.aliyun_callback_secret, settings.tencent_callback_secret
        return cls(
            aliyun.get_secret_value() if aliyun else None, tencent.get_secret_value() if tencent else None
        )

    def check(self, provider: str, given: str) -> None:
        """404 unless ``given`` is the provider's secret (constant time, whatever its length)."""
        expected = self.aliyun if provider == "aliyun" else self.tencent
        if expected is None or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            log.warning("sms_callback_refused", provider=provider, reason="secret")
            raise Problem(404, "Not Found", "no such resource")


CALLBACK_SECRETS = web.AppKey("cn_sms_secrets", CallbackSecrets)
UPLINKS = web.AppKey("cn_sms_uplinks", Uplinks)


@dataclass(frozen=True)
class Uplink:
    """One worker's SMS as either provider delivers it."""

    provider: str
    dedup_key: str
    number: str
    text: str
    gateway: str
    provider_message_id: str | None = None


async def checked_body(request: web.Request, provider: str, limit: int) -> bytes:
    request.app[CALLBACK_SECRETS].check(provider, request.match_info["secret"])
    return (await read_text_body(request, limit)).encode("utf-8")


async def aliyun_sms(request: web.Request) -> web.Response:
    body = await checked_body(request, "aliyun", aliyun_push.MAX_BODY)
    try:
        items = aliyun_push.parse_sms_up(body)
    except aliyun_push.MalformedPush as exc:
        raise malformed("aliyun", str(exc)) from None
    uplinks = [
        Uplink("aliyun", i.dedup_key, i.phone_number, i.content, f"aliyun:{i.dest_code}", i.sequence_id)
        for i in items
    ]
    await file_uplinks(request, uplinks)
    return json_response(aliyun_push.ACK)


async def tencent_sms(request: web.Request) -> web.Response:
    body = await checked_body(request, "tencent", tencent_push.MAX_BODY)
    try:
        reply = tencent_push.parse_reply(body)
    except tencent_push.MalformedCallback as exc:
        raise malformed("tencent", str(exc)) from None
    await file_uplinks(
        request, [Uplink("tencent", reply.dedup_key, reply.e164, reply.text, f"tencent:{reply.extend}")]
    )
    return json_response(tencent_push.ACK)


async def file_uplinks(request: web.Request, uplinks: list[Uplink]) -> None:
    """Make every uplink durable (a repeat already is); 503 when one cannot be."""
    intake, store = request.app[INTAKE], request.app[UPLINKS]
    ids = [uplink_id(intake.keys, u.provider, u.dedup_key) for u in uplinks]
    try:
        filed = await store.filed(ids)
    except PyMongoError as exc:
        log.warning("sms_uplinks_unreadable", error=exc.__class__.__name__)
        filed = set()
    pending = [(uid, u) for uid, u in zip(ids, uplinks, strict=True) if uid not in filed and u.text.strip()]
    results = await asyncio.gather(
        *(_file(intake, store, uid, u) for uid, u in pending), return_exceptions=True
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    log.info(
        "sms_uplinks",
        provider=uplinks[0].provider,
        items=len(uplinks),
        repeats=len(filed),
        filed=len(pending) - len(failed),
    )
    if any(not isinstance(r, NotDurable) for r in failed):
        raise next(r for r in failed if not isinstance(r, NotDurable))
    if failed:
        problem = Problem(
            503,
            "Service Unavailable",
            "the messages could not be confirmed as stored just now; the provider's retry is safe: "
            "a message is never filed twice",
        )
        problem.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        raise problem


async def _file(intake: IntakeState, store: Uplinks, uid: str, uplink: Uplink) -> None:
    text = uplink.text.strip()  # at most 2000 characters: both parsers bound it
    grievance_id = grievance_id_for(uplink.provider, uid)
    reference = reference_for(grievance_id)

    def build() -> GrievanceReceived:
        region = intake.settings.default_region
        sender = sender_of(uplink.number, region)
        return GrievanceReceived(
            correlation_id=grievance_id,
            grievance_id=grievance_id,
            reference=reference,
            channel="sms",
            provider=uplink.provider,
            provider_message_id=uplink.provider_message_id,
            received_at=intake.clock(),
            text=text,
            language=detect_language(text),
            gateway_number=uplink.gateway,
            reporter_key=reporter_key(intake.keys, sender.identity),
            sealed_contact=seal(intake.keys, sender.address),
            # The provider pushed it to our secret path: the sender holds this number.
            contact_proven=True,
            anonymous=True,
        )

    await intake.publisher.publish(grievance_id, build, budget=PUBLISH_BUDGET)
    try:
        await store.mark_filed(uid)
    except PyMongoError as exc:  # the event is durable; a repeat will publish it once more
        log.warning("sms_uplink_not_marked", error=exc.__class__.__name__)


def malformed(provider: str, detail: str) -> Problem:
    # The field names only (the parsers never quote a value).
    log.warning("sms_callback_refused", provider=provider, reason="malformed")
    return Problem(400, "Bad Request", detail[:200])
