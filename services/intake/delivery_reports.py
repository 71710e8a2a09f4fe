"""``POST /webhooks/twilio/status``: Twilio's delivery reports for the messages the sender sent.

Verified like the SMS webhook. The report is stored on the outbound message (``outbound_messages``
by provider SID); a report that moves the message's delivery state on marks the record in the same
write, and the announcer publishes ``message.delivery`` for the router (the answer to Twilio never
waits for the bus). A report for a SID we never sent is acknowledged and ignored, so Twilio does not
retry it.
"""

from __future__ import annotations

from typing import Literal

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.intake import store
from services.intake.outbound import ANNOUNCER
from services.intake.state import INTAKE
from services.intake.webhooks import single_fields, verified_twilio_form
from shared.bodies import validate

log = structlog.get_logger(__name__)

DeliveryStatus = Literal[
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "read",
    "canceled",
    "receiving",
    "received",
]


class StatusReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    message_sid: str = Field(alias="MessageSid", pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    message_status: DeliveryStatus = Field(alias="MessageStatus")
    error_code: str | None = Field(default=None, alias="ErrorCode", pattern=r"^[0-9]{0,10}$")


async def twilio_status(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    form = await verified_twilio_form(request)
    report = validate(StatusReport, single_fields(form, ("MessageSid", "MessageStatus", "ErrorCode")))
    known = await store.record_delivery(
        intake.db, report.message_sid, report.message_status, report.error_code or None, intake.clock()
    )
    if known:
        request.app[ANNOUNCER].wake()
    log.info("delivery_report", status=report.message_status, known=known, error_code=report.error_code)
    return web.Response(status=204)
