"""``POST /webhooks/twilio/sms``: a verified SMS becomes a ``grievance.received`` event.

Order matters: the signature is checked before any field is looked at, so an unsigned caller learns
nothing but 403. A resent webhook (same ``MessageSid``) maps to the same grievance id and reference;
it is published once per process and deduplicated by the router beyond that, so a resend is always
safe. The (empty) TwiML answer goes out only once the event is durable: confirmed by the broker, or
kept in the spool until the broker is back.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from aiohttp import web
from multidict import MultiDict
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.intake.channels.twilio import SETTINGS_HEADER, SIGNATURE_HEADER, is_valid, twiml_message
from services.intake.contacts import gateway_number, sender_of
from services.intake.publishing import RETRY_AFTER_SECONDS, NotDurable
from services.intake.state import INTAKE
from services.intake.texts import detect_language
from shared.bodies import read_form, validate
from shared.contracts import GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.privacy import reporter_key, seal
from shared.web import Problem

log = structlog.get_logger(__name__)

SMS_MAX_CHARS = 1600
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class TwilioSms(BaseModel):
    """The fields of Twilio's incoming-message webhook that intake uses (others are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    message_sid: str = Field(alias="MessageSid", pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    account_sid: str = Field(default="", alias="AccountSid", pattern=r"^(AC[0-9a-fA-F]{32})?$")
    sender: Address = Field(alias="From")
    recipient: Address = Field(alias="To")
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SMS_MAX_CHARS)] = (
        Field(alias="Body")
    )


_FIELDS = ("MessageSid", "AccountSid", "From", "To", "Body")


def single_fields(form: MultiDict[str], names: tuple[str, ...] = _FIELDS) -> dict[str, str]:
    """The used fields, each at most once: a repeated one is ambiguous, so it is refused."""
    picked: dict[str, str] = {}
    for name in names:
        values = form.getall(name, [])
        if len(values) > 1:
            raise Problem(
                422,
                "Unprocessable Content",
                "invalid fields",
                errors=[{"field": name, "message": "repeated"}],
            )
        if values:
            picked[name] = values[0]
    return picked


MAX_LOGGED_URL = 300


async def verified_twilio_form(request: web.Request) -> MultiDict[str]:
    """The form of a request Twilio signed: 503 when unconfigured, 4xx for bad bodies, 403 if unsigned."""
    intake = request.app[INTAKE]
    token = intake.twilio_token
    if token is None:
        raise Problem(503, "Service Unavailable", "Twilio webhooks are not configured on this server")
    form = await read_form(request)
    url = intake.public_base_url + request.raw_path
    signature = request.headers.get(SIGNATURE_HEADER)
    if not is_valid(token, url, form.items(), signature, request.headers.get(SETTINGS_HEADER)):
        # The URL this server signed with is what an operator compares with the webhook URL set at
        # Twilio: a mismatch (http for https, another host or port) is the usual cause.
        log.warning(
            "twilio_signature_rejected",
            signed=signature is not None,
            expected_url=url[:MAX_LOGGED_URL],
            hint="the webhook URL at Twilio must be GRIEVANCE_PUBLIC_BASE_URL + this path, exactly",
        )
        raise Problem(403, "Forbidden", "the request signature does not verify")
    return form


async def twilio_sms(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    form = await verified_twilio_form(request)
    sms = validate(TwilioSms, single_fields(form))
    grievance_id = grievance_id_for("twilio", sms.account_sid, sms.message_sid)
    reference = reference_for(grievance_id)
    language = detect_language(sms.body)

    def build() -> GrievanceReceived:
        region = intake.settings.default_region
        sender = sender_of(sms.sender, region)
        return GrievanceReceived(
            correlation_id=grievance_id,
            grievance_id=grievance_id,
            reference=reference,
            channel="sms",
            provider="twilio",
            provider_message_id=sms.message_sid,
            received_at=intake.clock(),
            text=sms.body,
            language=language,
            factory_hint=gateway_number(sms.recipient, region) or sms.recipient,
            gateway_number=sms.recipient,
            reporter_key=reporter_key(intake.keys, sender.identity),
            sealed_contact=seal(intake.keys, sender.address),
            # Twilio signed the request, ``From`` included: the sender holds this number.
            contact_proven=True,
            anonymous=True,
        )

    try:
        await intake.publisher.publish(grievance_id, build)
    except NotDurable:
        problem = Problem(
            503,
            "Service Unavailable",
            "the message could not be confirmed as stored just now, but it may still have arrived; "
            "sending it again is safe: a message is never filed twice",
        )
        problem.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        raise problem from None
    # No text here: the router sends the one text this message earns (see services.intake.texts).
    return web.Response(
        text=twiml_message(None),
        content_type="text/xml",
        charset="utf-8",
    )
