"""Alibaba Cloud SMS HTTP pushes: replies from workers (SmsUp) and delivery reports (SmsReport).

Both pushes are a JSON array (one request may carry several items) posted to our URL, and neither is
signed: Alibaba documents no signature and no fixed IPs for them. So the path holds a long secret
(checked by the webhook) and the body is validated strictly here, whole or not at all.

SmsUp items are ``{phone_number, content, send_time, dest_code, sequence_id, sign_name?}``. Alibaba's
pages disagree on ``sequence_id`` (string on the current page, a number on the API definition), so
both are accepted and kept as the string of digits; ``sign_name`` is optional. Alibaba says its
pushes are not idempotent and may repeat, so each item offers ``dedup_key`` =
phone number + sequence id (our choice: nothing else identifies an uplink). ``send_time`` is kept as
the naive ``yyyy-MM-dd HH:mm:ss`` Alibaba sends; its time zone is not documented.

The answer Alibaba expects, within 700 ms, is :data:`ACK`; any 5xx makes it retry later.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

ACK = {"code": 0, "msg": "接收成功"}
MAX_ITEMS = 1000
MAX_BODY = 1024 * 1024

Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{5,20}$")]


class MalformedPush(ValueError):
    """The body is not the push Alibaba sends; the text names the field, never the value."""


def _naive_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("expected yyyy-MM-dd HH:mm:ss")
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - Alibaba's wall clock, no offset


AliyunTime = Annotated[datetime, BeforeValidator(_naive_time)]


def _digit_string(value: object) -> str:
    """A sequence id sent as a string or an integer; booleans and fractions are refused."""
    if isinstance(value, bool):
        raise ValueError("sequence_id is not a boolean")
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 40:
        return value
    raise ValueError("sequence_id is a string of digits or a non-negative integer")


def _short_string(value: object) -> str:
    """A value Alibaba documents as a string but may send as a number (``sms_size``)."""
    if isinstance(value, bool):
        raise ValueError("expected a string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError("expected a string")


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)


class SmsUp(_Item):
    """One worker's reply to our SMS."""

    phone_number: Phone
    content: str = Field(max_length=2000)
    send_time: AliyunTime
    dest_code: str = Field(max_length=32)
    sequence_id: Annotated[str, BeforeValidator(_digit_string)]
    sign_name: str | None = Field(default=None, max_length=64)

    @property
    def dedup_key(self) -> str:
        return f"{self.phone_number}:{self.sequence_id}"


class SmsReport(_Item):
    """The fate of one SMS we sent: ``biz_id`` is SendSms's BizId, ``out_id`` our own id."""

    phone_number: Phone
    send_time: AliyunTime
    report_time: AliyunTime
    success: bool
    err_code: str = Field(max_length=64)
    err_msg: str = Field(max_length=512)
    sms_size: Annotated[str, BeforeValidator(_short_string)] = Field(max_length=8)
    biz_id: str = Field(min_length=1, max_length=64)
    out_id: str | None = Field(default=None, max_length=256)


Item = TypeVar("Item", bound=_Item)


def parse_sms_up(body: bytes) -> list[SmsUp]:
    """The replies in an SmsUp push; MalformedPush unless every item is valid."""
    return _parse(body, SmsUp)


def parse_sms_reports(body: bytes) -> list[SmsReport]:
    """The reports in an SmsReport push; MalformedPush unless every item is valid."""
    return _parse(body, SmsReport)


def _parse(body: bytes, model: type[Item]) -> list[Item]:
    if len(body) > MAX_BODY:
        raise MalformedPush("body too large")
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedPush("body is not JSON") from None
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_ITEMS:
        raise MalformedPush(f"body is not an array of 1..{MAX_ITEMS} items")
    try:
        # ``model`` is a class held in a variable: valid at run time, not a type to mypy.
        return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        fields = sorted({str(error["loc"][-1]) for error in exc.errors() if len(error["loc"]) > 1})
        raise MalformedPush(f"invalid or missing field(s): {', '.join(fields) or 'item'}") from None
