"""Intake's OpenAPI document: the web form, the status of a case's address, and Twilio's webhooks.

One row per route of :func:`services.intake.app.create_app`; the schemas are the models the handlers
validate with (:class:`GrievanceForm`, :class:`TwilioSms`, :class:`StatusReport`) and answer with
(:class:`Receipt`). The development outbox is in the document exactly when the application serves
it (the embedded run's development channel).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from services.intake.delivery_reports import StatusReport
from services.intake.outbound import OutboxAnswer, OutboxQuery
from services.intake.webform import GrievanceForm, Receipt
from services.intake.webhooks import TwilioSms
from shared.openapi import (
    BAD_BODY,
    BAD_QUERY,
    FORM,
    HEALTHZ_OPERATION,
    OPENAPI_OPERATION,
    Answer,
    Operation,
    build_document,
    problem,
)

SIGNATURE = {"X-Twilio-Signature": {"type": "string", "description": "Twilio's HMAC-SHA1 of URL and form"}}
NOT_DURABLE = problem(
    503,
    "not confirmed as stored: send it again unchanged (with the answer's `idempotency_key` it stays "
    "one grievance)",
    {"Retry-After": "seconds to wait before resending"},
)
UNSIGNED = problem(403, "the request signature does not verify")
UNCONFIGURED_OR_NOT_DURABLE = problem(
    503, "Twilio webhooks are not configured here, or the message was not confirmed as stored (resend)"
)

FORM_OPERATION = Operation(
    "post",
    "/api/v1/grievances",
    "submitGrievance",
    "file a grievance through the web form",
    (Answer(202, "filed: keep the reference and the PIN", Receipt), *BAD_BODY, NOT_DURABLE),
    tags=("workers",),
    body=GrievanceForm,
    headers={"Accept-Language": {"type": "string", "description": "zh or en: the language of errors"}},
    description="Errors speak the worker's language (`language`, else Accept-Language). The same "
    "`idempotency_key` with the same content is the same grievance, whatever the number of resends.",
)
SMS_OPERATION = Operation(
    "post",
    "/webhooks/twilio/sms",
    "twilioSms",
    "Twilio's incoming-message webhook",
    (
        Answer(200, "TwiML with the reply to the worker", media="text/xml", schema={"type": "string"}),
        *BAD_BODY,
        UNSIGNED,
        UNCONFIGURED_OR_NOT_DURABLE,
    ),
    tags=("gateways",),
    body=TwilioSms,
    body_media=FORM,
    headers=SIGNATURE,
)
STATUS_OPERATION = Operation(
    "post",
    "/webhooks/twilio/status",
    "twilioStatus",
    "Twilio's delivery-status callback for an outbound message",
    (
        Answer(204, "recorded (or not ours: Twilio needs no retry)"),
        *BAD_BODY,
        UNSIGNED,
        UNCONFIGURED_OR_NOT_DURABLE,
    ),
    tags=("gateways",),
    body=StatusReport,
    body_media=FORM,
    headers=SIGNATURE,
)
OUTBOX_OPERATION = Operation(
    "get",
    "/dev/outbox",
    "devOutbox",
    "the development channel's messages, newest first (embedded run only)",
    (Answer(200, "the messages", OutboxAnswer), BAD_QUERY),
    tags=("development",),
    query=OutboxQuery,
)


@cache
def document(*, development: bool) -> dict[str, Any]:
    """Intake's document; ``development``: with the development outbox (the application serves it)."""
    operations = [FORM_OPERATION, SMS_OPERATION, STATUS_OPERATION, HEALTHZ_OPERATION, OPENAPI_OPERATION]
    if development:
        operations.append(OUTBOX_OPERATION)
    return build_document(
        "grievance intake",
        "1",
        "Where grievances come in: the public web form and the SMS gateways' webhooks.",
        operations,
    )
