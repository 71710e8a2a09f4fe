"""Sending an SMS through Alibaba Cloud's SendSms (Dysmsapi 2017-05-25), signed with V3.

``POST https://dysmsapi.aliyuncs.com/?PhoneNumbers=&SignName=&TemplateCode=&TemplateParam=&OutId=``
with an empty body and the ``x-acs-*`` headers of :func:`~services.intake.channels.aliyun_sign.sign_acs3`
(SendSms is an RPC-style API, so its parameters travel in the query). Only an approved signature
(签名) and template (模板) can be sent, so the request carries a template code and its variables, never
free text. ``OutId`` is our own id for the message; Alibaba returns it in the delivery report.

The answer's ``Code`` decides: ``OK`` gives the ``BizId``. Codes that concern this message or this
number (an invalid number, a variable too long or holding a URL, banned content) are permanent.
Rate limits, quotas, balance, and configuration problems (signature or template not approved,
credentials, RAM permissions, the IP) are transient: the message waits until an operator fixes it.
An unknown code is transient too. SendSms is not idempotent, so nothing here retries; a timeout is
:class:`~services.intake.channels.provider_http.AmbiguousDeliveryError`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp

from services.intake.channels.aliyun_sign import canonical_query, sign_acs3
from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from services.intake.channels.provider_http import AmbiguousDeliveryError, ProviderRequest, exchange

ENDPOINT = "https://dysmsapi.aliyuncs.com"
ACTION, VERSION = "SendSms", "2017-05-25"

PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.EXTEND_CODE_ERROR",
    }
)


def send_sms_request(
    *,
    access_key_id: str,
    access_key_secret: str,
    phone_numbers: str,
    sign_name: str,
    template_code: str,
    template_param: Mapping[str, str],
    out_id: str | None = None,
    endpoint: str = ENDPOINT,
    now: datetime,
    nonce: str,
) -> ProviderRequest:
    """The V3-signed SendSms request. ``template_param`` becomes the JSON string Alibaba expects."""
    query = [
        ("PhoneNumbers", phone_numbers),
        ("SignName", sign_name),
        ("TemplateCode", template_code),
        ("TemplateParam", json.dumps(dict(template_param), ensure_ascii=False, separators=(",", ":"))),
    ]
    if out_id:
        query.append(("OutId", out_id))
    base = endpoint.rstrip("/")
    headers = sign_acs3(
        method="POST",
        host=urlsplit(base).netloc,
        path="/",
        query=query,
        body=b"",
        action=ACTION,
        version=VERSION,
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
        now=now,
        nonce=nonce,
    )
    return ProviderRequest("POST", f"{base}/?{canonical_query(query)}", headers)


def biz_id_or_raise(status: int, payload: Mapping[str, object]) -> str:
    """The ``BizId`` of an accepted message; the delivery error its ``Code`` stands for otherwise."""
    code = payload.get("Code")
    if code == "OK":
        biz_id = payload.get("BizId")
        if isinstance(biz_id, str) and biz_id:
            return biz_id
        raise AmbiguousDeliveryError("aliyun_ok_without_bizid")
    if not isinstance(code, str) or not code:
        # Something in front of Alibaba answered, or the answer is unreadable: only a 200 may be a send.
        if status == 200:
            raise AmbiguousDeliveryError("aliyun_answer_unreadable")
        raise TransientDeliveryError(f"http_{status}")
    if code in PERMANENT_CODES:
        raise PermanentDeliveryError(code)
    raise TransientDeliveryError(code)


class AliyunSms:
    """One Alibaba Cloud account's SendSms on a shared ``aiohttp.ClientSession``."""

    name = "aliyun"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        endpoint: str = ENDPOINT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._session = session
        self._access_key_id = access_key_id
        self._access_key_secret = access_key_secret
        self._sign_name = sign_name
        self._endpoint = endpoint
        self._clock = clock

    async def send_template(
        self, phone: str, template_code: str, params: Mapping[str, str], *, out_id: str | None = None
    ) -> str:
        """Send one templated SMS to ``phone``; Alibaba's ``BizId``."""
        request = send_sms_request(
            access_key_id=self._access_key_id,
            access_key_secret=self._access_key_secret,
            phone_numbers=phone,
            sign_name=self._sign_name,
            template_code=template_code,
            template_param=params,
            out_id=out_id,
            endpoint=self._endpoint,
            now=self._clock(),
            nonce=secrets.token_hex(16),
        )
        answer = await exchange(self._session, request)
        return biz_id_or_raise(answer.status, answer.payload)
