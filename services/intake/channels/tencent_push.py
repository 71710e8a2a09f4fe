"""Tencent Cloud SMS callbacks: a worker's reply (回复回调) and delivery status (短信下发状态通知).

The reply callback posts one JSON object ``{extend, mobile, nationcode, sign, text, time}`` (``time``
in Unix seconds; ``extend`` is empty unless an extension code is enabled). The status callback posts
a JSON array of at most 100 ``{user_receive_time, nationcode, mobile, report_status, errmsg,
description, sid, ext?}``, where ``sid`` is SendSms's ``SerialNo`` and ``ext`` our
``SessionContext``. Tencent documents no signature for either (only an IP list behind an IM
credential), so the webhook's path holds a secret and the body is validated strictly here.

A reply carries no id at all. Its ``dedup_key`` is therefore our own choice: the number, the time
and a hash of the text, so a repeated push is recognised and two different texts in the same second
are not merged. The expected answer is :data:`ACK`; Tencent retries a failed status push twice.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

ACK = {"result": 0, "errmsg": "OK"}
MAX_STATUSES = 100
MAX_BODY = 256 * 1024
_LATEST_TIME = 4_102_444_800  # 2100-01-01: later values are milliseconds or garbage

Digits = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]


class MalformedCallback(ValueError):
    """The body is not the callback Tencent sends; the text names the field, never the value."""


class _Callback(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)


class SmsReply(_Callback):
    """One worker's reply to our SMS."""

    extend: str = Field(default="", max_length=32)
    mobile: Digits
    nationcode: Digits
    sign: str = Field(max_length=64)
    text: str = Field(max_length=2000)
    time: int = Field(ge=1, le=_LATEST_TIME)

    @property
    def e164(self) -> str:
        return f"+{self.nationcode}{self.mobile}"

    @property
    def received_at(self) -> datetime:
        return datetime.fromtimestamp(self.time, UTC)

    @property
    def dedup_key(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        return f"{self.e164}:{self.time}:{digest}"


class SmsStatus(_Callback):
    """The fate of one SMS we sent."""

    user_receive_time: str = Field(max_length=32)
    nationcode: Digits
    mobile: Digits
    report_status: Literal["SUCCESS", "FAIL"]
    errmsg: str = Field(max_length=64)
    description: str = Field(max_length=512)
    sid: str = Field(min_length=1, max_length=128)
    ext: str | None = Field(default=None, max_length=512)


def parse_reply(body: bytes) -> SmsReply:
    """The reply in a 回复回调 push; MalformedCallback when it is not one."""
    data = _json(body)
    if not isinstance(data, dict):
        raise MalformedCallback("body is not a JSON object")
    try:
        return SmsReply.model_validate(data)
    except ValidationError as exc:
        raise MalformedCallback(_fields(exc)) from None


def parse_statuses(body: bytes) -> list[SmsStatus]:
    """The statuses in a 短信下发状态通知 push; MalformedCallback unless every item is valid."""
    data = _json(body)
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_STATUSES:
        raise MalformedCallback(f"body is not an array of 1..{MAX_STATUSES} items")
    try:
        return TypeAdapter(list[SmsStatus]).validate_python(data)
    except ValidationError as exc:
        raise MalformedCallback(_fields(exc)) from None


def _json(body: bytes) -> Any:
    if len(body) > MAX_BODY:
        raise MalformedCallback("body too large")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedCallback("body is not JSON") from None


def _fields(exc: ValidationError) -> str:
    names = sorted({str(error["loc"][-1]) for error in exc.errors() if error["loc"]})
    return f"invalid or missing field(s): {', '.join(names)}"
