"""Sending an SMS through Tencent Cloud's SendSms (API version 2021-01-11), signed with TC3.

``POST https://sms.tencentcloudapi.com/`` with a JSON body (``PhoneNumberSet`` in E.164,
``SmsSdkAppId``, ``TemplateId``, ``SignName``, ``TemplateParamSet``, ``SessionContext``) and the
``X-TC-*`` headers of :func:`~services.intake.channels.tencent_sign.sign_tc3`. Only approved
templates can be sent; ``SessionContext`` carries our own message id and comes back in the status
callback's ``ext``.

Tencent answers HTTP 200 with ``{"Response": {...}}``. A request-level ``Error.Code`` means nothing
was sent; otherwise ``SendStatusSet`` has one entry per number whose ``Code`` is ``"Ok"`` on
success. Per Tencent's SMS error-code page: an opted-out number (``PhoneNumberInBlacklist``), an
invalid number or parameter, banned content and unsupported operations are permanent; frequency
limits, balance, authentication and authorisation failures (an operator's problem), unapproved
signatures or templates and internal errors are transient; ``InternalError.Timeout`` is ambiguous
(Tencent timed out while sending). Unknown codes are transient. Nothing here retries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from services.intake.channels.provider_http import AmbiguousDeliveryError, ProviderRequest, exchange
from services.intake.channels.tencent_sign import sign_tc3

ENDPOINT = "https://sms.tencentcloudapi.com"
SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"

PERMANENT_PREFIXES = (
    "InvalidParameterValue.",
    "InvalidParameter",
    "MissingParameter",
    "UnsupportedOperation.",
)
PERMANENT_CODES = frozenset(
    {
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.ContainSensitiveWord",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "FailedOperation.FailResolvePacket",
        "LimitExceeded.PhoneNumberCountLimit",
    }
)
# Configuration an operator fixes in the console; the message should wait for it, not be dropped.
TRANSIENT_CODES = frozenset({"InvalidParameterValue.SdkAppIdNotExist"})
AMBIGUOUS_CODES = frozenset({"InternalError.Timeout"})


def send_sms_request(
    *,
    secret_id: str,
    secret_key: str,
    region: str,
    sdk_app_id: str,
    sign_name: str,
    template_id: str,
    phone_numbers: Sequence[str],
    template_params: Sequence[str],
    session_context: str | None = None,
    endpoint: str = ENDPOINT,
    timestamp: int,
    sign_action: bool = False,
) -> ProviderRequest:
    """The TC3-signed SendSms request."""
    payload: dict[str, Any] = {
        "PhoneNumberSet": list(phone_numbers),
        "SmsSdkAppId": sdk_app_id,
        "SignName": sign_name,
        "TemplateId": template_id,
        "TemplateParamSet": list(template_params),
    }
    if session_context:
        payload["SessionContext"] = session_context
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    base = endpoint.rstrip("/")
    headers = sign_tc3(
        secret_id=secret_id,
        secret_key=secret_key,
        service=SERVICE,
        host=urlsplit(base).netloc,
        action=ACTION,
        version=VERSION,
        region=region,
        timestamp=timestamp,
        body=body,
        sign_action=sign_action,
    )
    return ProviderRequest("POST", f"{base}/", headers, body)


def error_for(code: str) -> TransientDeliveryError | PermanentDeliveryError:
    """The delivery error a Tencent error code (anything but ``Ok``) stands for."""
    if code in AMBIGUOUS_CODES:
        return AmbiguousDeliveryError(code)
    if code in TRANSIENT_CODES:
        return TransientDeliveryError(code)
    if code in PERMANENT_CODES or code.startswith(PERMANENT_PREFIXES):
        return PermanentDeliveryError(code)
    return TransientDeliveryError(code)


def serial_no_or_raise(status: int, payload: Mapping[str, Any]) -> str:
    """The ``SerialNo`` of the one number sent to; the delivery error Tencent's answer stands for otherwise."""
    response = payload.get("Response")
    if not isinstance(response, dict):
        raise TransientDeliveryError(f"http_{status}")
    error = response.get("Error")
    if isinstance(error, dict):  # the request was refused as a whole: nothing was sent
        code = error.get("Code")
        if not isinstance(code, str) or not code or code == "Ok":
            raise TransientDeliveryError("tencent_error_unreadable")
        raise error_for(code)
    statuses = response.get("SendStatusSet")
    if not isinstance(statuses, list) or len(statuses) != 1 or not isinstance(statuses[0], dict):
        raise AmbiguousDeliveryError("tencent_status_unreadable")
    code = statuses[0].get("Code")
    if not isinstance(code, str) or not code:
        raise AmbiguousDeliveryError("tencent_status_unreadable")
    if code != "Ok":
        raise error_for(code)
    serial = statuses[0].get("SerialNo")
    if not isinstance(serial, str) or not serial:
        raise AmbiguousDeliveryError("tencent_ok_without_serial")
    return serial


class TencentSms:
    """One Tencent Cloud SMS application's SendSms on a shared ``aiohttp.ClientSession``."""

    name = "tencent"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        region: str = "ap-guangzhou",
        endpoint: str = ENDPOINT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._session = session
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._sdk_app_id = sdk_app_id
        self._sign_name = sign_name
        self._region = region
        self._endpoint = endpoint
        self._clock = clock

    async def send_template(
        self, phone: str, template_id: str, params: Sequence[str], *, session_context: str | None = None
    ) -> str:
        """Send one templated SMS to ``phone`` (E.164); Tencent's ``SerialNo``."""
        request = send_sms_request(
            secret_id=self._secret_id,
            secret_key=self._secret_key,
            region=self._region,
            sdk_app_id=self._sdk_app_id,
            sign_name=self._sign_name,
            template_id=template_id,
            phone_numbers=[phone],
            template_params=params,
            session_context=session_context,
            endpoint=self._endpoint,
            timestamp=int(self._clock().timestamp()),
        )
        answer = await exchange(self._session, request)
        return serial_no_or_raise(answer.status, answer.payload)
