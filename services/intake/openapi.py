"""Intake's OpenAPI document: the web form, Twilio's, WeChat's, Alibaba's and Tencent's webhooks.

One row per route of :func:`services.intake.app.create_app`; the schemas are the models the handlers
validate with (:class:`GrievanceForm`, :class:`TwilioSms`, :class:`StatusReport`) and answer with
(:class:`Receipt`). The development outbox is in the document exactly when the application serves
it (the embedded run's development channel).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, RootModel

from services.intake.channels.aliyun_push import SmsReport, SmsUp
from services.intake.channels.tencent_push import SmsReply, SmsStatus
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


class WeChatVerifyQuery(BaseModel):
    """What WeChat sends when the server URL is saved (documentation of the query; checked by hand)."""

    signature: str = Field(description="SHA-1 of the sorted token, timestamp and nonce, lowercase hex")
    timestamp: str = Field(pattern=r"^[0-9]{1,20}$")
    nonce: str = Field(pattern=r"^[0-9]{1,20}$")
    echostr: str = Field(max_length=128, description="answered back verbatim once the signature verifies")


class WeChatPushQuery(BaseModel):
    """The query of every push; safe mode adds ``encrypt_type=aes`` and ``msg_signature``."""

    signature: str
    timestamp: str = Field(pattern=r"^[0-9]{1,20}$")
    nonce: str = Field(pattern=r"^[0-9]{1,20}$")
    encrypt_type: Literal["aes", "raw"] | None = None
    msg_signature: str | None = Field(default=None, description="SHA-1 over token, timestamp, nonce, Encrypt")
    openid: str | None = Field(default=None, description="sent by WeChat; not read")


WECHAT_UNSIGNED = problem(
    403, "a signature does not verify, the ciphertext names another AppID, or plaintext in safe mode"
)
WECHAT_VERIFY_OPERATION = Operation(
    "get",
    "/webhooks/wechat",
    "wechatVerify",
    "WeChat's server-URL verification",
    (
        Answer(200, "the echostr", media="text/plain", schema={"type": "string"}),
        problem(400, "echostr missing, repeated or not printable"),
        WECHAT_UNSIGNED,
        problem(503, "WeChat webhooks are not configured here"),
    ),
    tags=("gateways",),
    query=WeChatVerifyQuery,
)
WECHAT_PUSH_OPERATION = Operation(
    "post",
    "/webhooks/wechat",
    "wechatPush",
    "a WeChat Official Account's message and event pushes (plaintext or safe mode)",
    (
        Answer(
            200,
            "durable: empty, or a passive reply (encrypted in safe mode)",
            media="text/xml",
            schema={"type": "string"},
        ),
        problem(400, "malformed XML, a ciphertext that does not open, or encryption not configured"),
        problem(413, "the body is larger than 64 KiB"),
        problem(415, "the body is not text/xml or application/xml"),
        problem(422, "a text longer than 4000 characters"),
        WECHAT_UNSIGNED,
        problem(
            503,
            "WeChat webhooks are not configured here, or the push was not confirmed as stored (WeChat retries)",
            {"Retry-After": "seconds to wait before resending"},
        ),
    ),
    tags=("gateways",),
    query=WeChatPushQuery,
    description="The body is WeChat's XML (`<xml>...</xml>`); in safe mode only `ToUserName` and "
    "`Encrypt`. See docs/channels-china.md.",
)


class SubscribeQuery(BaseModel):
    """The worker page's link to a one-time subscription of a case (documentation of the query)."""

    code: str = Field(pattern=r"^[2-9A-HJKMNP-Za-hjkmnp-z]{6}$", description="the case code")


class SubscribedQuery(BaseModel):
    """What WeChat's confirm page sends the browser back with (documentation; checked by hand)."""

    openid: str = Field(description="the worker's OpenID: only its reporter key is kept")
    template_id: str
    action: Literal["confirm", "cancel"]
    scene: str
    reserved: str = Field(description="the state /wechat/subscribe signed (an hour's validity)")


HTML_PAGE = {"type": "string", "description": "a short page in Chinese and English"}
SUBSCRIBE_OPERATION = Operation(
    "get",
    "/wechat/subscribe",
    "wechatSubscribe",
    "a worker asks for one WeChat notice of a case: to WeChat's confirm page",
    (
        Answer(
            302,
            "to mp.weixin.qq.com/mp/subscribemsg?action=get_confirm...",
            headers={"Location": "WeChat's confirm page"},
        ),
        Answer(400, "the case code is not valid", media="text/html", schema=HTML_PAGE),
        Answer(404, "no subscription template is configured", media="text/html", schema=HTML_PAGE),
    ),
    tags=("workers",),
    query=SubscribeQuery,
)
SUBSCRIBED_OPERATION = Operation(
    "get",
    "/wechat/subscribed",
    "wechatSubscribed",
    "WeChat's redirect after the worker agreed (or not) to one notice",
    (
        Answer(200, "recorded, or not subscribed", media="text/html", schema=HTML_PAGE),
        Answer(400, "the link is not valid or has expired", media="text/html", schema=HTML_PAGE),
        Answer(404, "no subscription template is configured", media="text/html", schema=HTML_PAGE),
        Answer(429, "too many consents from this address", media="text/html", schema=HTML_PAGE),
        Answer(503, "the consent could not be stored just now", media="text/html", schema=HTML_PAGE),
    ),
    tags=("workers",),
    query=SubscribedQuery,
    description='See docs/channels-china.md, "Outside the window".',
)
SECRET_PARAMETER = {
    "secret": {
        "type": "string",
        "description": "the provider's callback secret (GRIEVANCE_*_CALLBACK_SECRET)",
    }
}
WRONG_SECRET = problem(404, "not the configured secret, or none configured: no such resource")
PUSH_MALFORMED = problem(
    400, "not the provider's body: every item is refused (the field names, never a value)"
)
PUSH_NOT_DURABLE = problem(
    503, "not confirmed as stored just now; the provider's retry is safe", {"Retry-After": "seconds"}
)
ALIYUN_ACK = Answer(200, 'durable: {"code":0,"msg":"接收成功"}', schema={"type": "object"})
TENCENT_ACK = Answer(200, 'stored: {"result":0,"errmsg":"OK"}', schema={"type": "object"})


class AliyunUplinks(RootModel[list[SmsUp]]):
    """Alibaba's SmsUp push: 1 to 1000 replies."""


class AliyunReports(RootModel[list[SmsReport]]):
    """Alibaba's SmsReport push: 1 to 1000 delivery reports."""


class TencentStatuses(RootModel[list[SmsStatus]]):
    """Tencent's status callback: 1 to 100 statuses."""


def _cn_operation(
    path: str, operation_id: str, summary: str, ack: Answer, body: type[BaseModel]
) -> Operation:
    return Operation(
        "post",
        path,
        operation_id,
        summary,
        (ack, PUSH_MALFORMED, WRONG_SECRET, problem(413, "the body is too large"), PUSH_NOT_DURABLE),
        tags=("gateways",),
        body=body,
        path_parameters=SECRET_PARAMETER,
        description="Unsigned by the provider: the path secret is the proof. See docs/channels-china.md.",
    )


CN_SMS_OPERATIONS = (
    _cn_operation(
        "/webhooks/aliyun/sms/{secret}",
        "aliyunSmsUp",
        "Alibaba Cloud SMS replies (SmsUp)",
        ALIYUN_ACK,
        AliyunUplinks,
    ),
    _cn_operation(
        "/webhooks/aliyun/sms-report/{secret}",
        "aliyunSmsReport",
        "Alibaba Cloud SMS delivery reports (SmsReport)",
        ALIYUN_ACK,
        AliyunReports,
    ),
    _cn_operation(
        "/webhooks/tencent/sms/{secret}",
        "tencentSmsReply",
        "Tencent Cloud SMS reply callback",
        TENCENT_ACK,
        SmsReply,
    ),
    _cn_operation(
        "/webhooks/tencent/sms-status/{secret}",
        "tencentSmsStatus",
        "Tencent Cloud SMS status callback",
        TENCENT_ACK,
        TencentStatuses,
    ),
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
    operations = [
        FORM_OPERATION,
        SMS_OPERATION,
        STATUS_OPERATION,
        WECHAT_VERIFY_OPERATION,
        WECHAT_PUSH_OPERATION,
        *CN_SMS_OPERATIONS,
        SUBSCRIBE_OPERATION,
        SUBSCRIBED_OPERATION,
        HEALTHZ_OPERATION,
        OPENAPI_OPERATION,
    ]
    if development:
        operations.append(OUTBOX_OPERATION)
    return build_document(
        "grievance intake",
        "1",
        "Where grievances come in: the public web form and the SMS gateways' webhooks.",
        operations,
    )
