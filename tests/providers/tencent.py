"""A local server that speaks Tencent Cloud's SendSms (2021-01-11) and checks TC3 signatures.

``POST /`` with a JSON body. Everything is answered HTTP 200 with ``{"Response": ...}`` as Tencent
does. A request whose TC3 signature does not verify over what arrived, whose ``X-TC-Timestamp`` is
more than five minutes from the clock, or whose credential date is not the UTC date of that
timestamp, gets a request-level ``Error`` (``AuthFailure.*``) and sends nothing; so does an unknown
``SmsSdkAppId``, an unapproved signature or template, or a parameter count that does not match the
template. Otherwise each number gets its own ``SendStatus``: ``Ok`` with a ``SerialNo`` (the
``SessionContext`` echoed), or a per-number code (``InvalidParameterValue.IncorrectPhoneNumber``,
``FailedOperation.PhoneNumberInBlacklist``, a URL in a parameter, or a code from ``fail_next``).
Which errors are request-level and which per-number is this fake's choice; the client handles both.
``lose_next_answers`` sends the next messages but answers a gateway's 502 (the answer lost).
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from services.intake.channels.tencent_sign import Tc3Rejected, verify_tc3
from tests.fakes import FakeClock
from tests.providers.base import FakeProvider

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_URL = re.compile(r"(https?://|www\.)", re.IGNORECASE)


@dataclass
class Arrival:
    headers: dict[str, str]
    body: dict[str, Any]
    error: str | None


@dataclass
class SentSms:
    phone_number: str
    template_id: str
    params: list[str]
    session_context: str
    serial_no: str


class FakeTencentSms(FakeProvider):
    def __init__(
        self,
        clock: FakeClock | None = None,
        *,
        secrets: dict[str, str],
        sdk_app_ids: set[str],
        sign_names: set[str],
        templates: dict[str, int],
    ) -> None:
        super().__init__(clock)
        self.secrets, self.sdk_app_ids, self.sign_names, self.templates = (
            secrets,
            sdk_app_ids,
            sign_names,
            templates,
        )
        self.blacklist: set[str] = set()
        self.requests: list[Arrival] = []
        self.sent: list[SentSms] = []
        self.script: list[str] = []
        self.lost_answers = 0
        self._serial = itertools.count(262727967816586500757778766)
        self.app.router.add_post("/", self._send_sms)

    def fail_next(self, *codes: str) -> None:
        self.script.extend(codes)

    def lose_next_answers(self, count: int = 1) -> None:
        self.lost_answers += count

    async def _send_sms(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = _object(raw)
        error = self._authenticate(request, raw) or self._request_rule(request, body)
        self.requests.append(Arrival(dict(request.headers), body, error))
        request_id = str(uuid.uuid4())
        if error:
            return web.json_response(
                {"Response": {"Error": {"Code": error, "Message": "fake"}, "RequestId": request_id}}
            )
        statuses = [self._send_one(number, body) for number in body["PhoneNumberSet"]]
        if self.lost_answers:
            self.lost_answers -= 1
            return web.Response(status=502, text="Bad Gateway")
        return web.json_response({"Response": {"SendStatusSet": statuses, "RequestId": request_id}})

    def _authenticate(self, request: web.Request, raw: bytes) -> str | None:
        try:
            verify_tc3(
                method=request.method,
                query=request.query_string,
                headers=request.headers,
                body=raw,
                service="sms",
                now=int(self.clock().timestamp()),
                secret_for=self.secrets.get,
            )
        except Tc3Rejected as exc:
            return exc.code
        if request.headers.get("X-TC-Action") != "SendSms":
            return "InvalidAction"
        if request.headers.get("X-TC-Version") != "2021-01-11":
            return "NoSuchVersion"
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return "InvalidParameter"
        return None

    def _request_rule(self, request: web.Request, body: dict[str, Any]) -> str | None:
        numbers, params = body.get("PhoneNumberSet"), body.get("TemplateParamSet", [])
        if not isinstance(numbers, list) or not numbers or not all(isinstance(n, str) for n in numbers):
            return "MissingParameter"
        if len(numbers) > 200:
            return "LimitExceeded.PhoneNumberCountLimit"
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return "InvalidParameter"
        if body.get("SmsSdkAppId") not in self.sdk_app_ids:
            return "InvalidParameterValue.SdkAppIdNotExist"
        if body.get("SignName") not in self.sign_names:
            return "FailedOperation.SignatureIncorrectOrUnapproved"
        count = self.templates.get(str(body.get("TemplateId")))
        if count is None:
            return "FailedOperation.TemplateIncorrectOrUnapproved"
        if len(params) != count:
            return "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        return None

    def _send_one(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        params: list[str] = body.get("TemplateParamSet", [])
        if not _E164.match(number):
            code = "InvalidParameterValue.IncorrectPhoneNumber"
        elif number in self.blacklist:
            code = "FailedOperation.PhoneNumberInBlacklist"
        elif any(_URL.search(p) for p in params):
            code = "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter"
        else:
            code = self.script.pop(0) if self.script else "Ok"
        context = str(body.get("SessionContext", ""))
        serial = f"2640:{next(self._serial)}" if code == "Ok" else ""
        if code == "Ok":
            self.sent.append(SentSms(number, str(body["TemplateId"]), params, context, serial))
        return {
            "SerialNo": serial,
            "PhoneNumber": number,
            "Fee": 1 if code == "Ok" else 0,
            "SessionContext": context,
            "Code": code,
            "Message": "send success" if code == "Ok" else "fake",
            "IsoCode": "CN",
        }


def _object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
