"""A local server that speaks Alibaba Cloud's SendSms (Dysmsapi 2017-05-25) and checks V3 signatures.

``POST /`` with the parameters in the query. The request is refused, as Alibaba refuses it, when
its ACS3 signature does not verify over what actually arrived (``SignatureDoesNotMatch``, 400; an
unknown AccessKeyId is 404), when ``x-acs-date`` is more than 15 minutes from the clock, or when a
signature nonce is used twice. Then the message rules: a registered signature (签名) and template
(模板), ``TemplateParam`` a JSON object of exactly the template's variables, each 1..35 characters and
not a URL, and a mainland number. An accepted message gets ``Code: OK`` and a ``BizId``.

``fail_next`` queues ``Code`` values for the next valid requests (``isv.BUSINESS_LIMIT_CONTROL``,
...); ``lose_next_answers`` sends the next messages but answers a gateway's 502, as when the answer
of a message Alibaba took is lost on the way back. ``requests`` records every arrival with the code answered; ``sent`` the accepted messages.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from services.intake.channels.aliyun_sign import Acs3Rejected, verify_acs3
from tests.fakes import FakeClock
from tests.providers.base import FakeProvider

MAX_SKEW = timedelta(minutes=15)
_PHONE = re.compile(r"^(\+86|0086|86)?1[3-9][0-9]{9}$")
_URL = re.compile(r"(https?://|www\.|\.(com|cn|net)\b)", re.IGNORECASE)


@dataclass
class Arrival:
    query: dict[str, str]
    headers: dict[str, str]
    code: str


@dataclass
class SentSms:
    phone_numbers: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    out_id: str | None
    biz_id: str


class FakeAliyunSms(FakeProvider):
    def __init__(
        self,
        clock: FakeClock | None = None,
        *,
        access_keys: dict[str, str],
        sign_names: set[str],
        templates: dict[str, set[str]],
    ) -> None:
        super().__init__(clock)
        self.access_keys, self.sign_names, self.templates = access_keys, sign_names, templates
        self.requests: list[Arrival] = []
        self.sent: list[SentSms] = []
        self.script: list[str] = []
        self.lost_answers = 0
        self._nonces: set[str] = set()
        self._biz = itertools.count(900619746936498440)
        self.app.router.add_post("/", self._send_sms)

    def fail_next(self, *codes: str) -> None:
        self.script.extend(codes)

    def lose_next_answers(self, count: int = 1) -> None:
        self.lost_answers += count

    async def _send_sms(self, request: web.Request) -> web.Response:
        body = await request.read()
        query = dict(request.query.items())
        status, code = self._authenticate(request, body)
        if code is None:
            code = self.script.pop(0) if self.script else self._message_rule(query)
        self.requests.append(Arrival(query, dict(request.headers), code))
        request_id = str(uuid.uuid4()).upper()
        if code != "OK":
            return web.json_response(
                {"Code": code, "Message": f"fake {code}", "RequestId": request_id}, status=status
            )
        biz_id = f"{next(self._biz)}^0"
        self.sent.append(
            SentSms(
                query["PhoneNumbers"],
                query["SignName"],
                query["TemplateCode"],
                json.loads(query["TemplateParam"]),
                query.get("OutId"),
                biz_id,
            )
        )
        if self.lost_answers:
            self.lost_answers -= 1
            return web.Response(status=502, text="Bad Gateway")
        return web.json_response({"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id})

    def _authenticate(self, request: web.Request, body: bytes) -> tuple[int, str | None]:
        try:
            verify_acs3(
                method=request.method,
                path=request.path,
                query=list(request.query.items()),
                headers=request.headers,
                body=body,
                secret_for=self.access_keys.get,
            )
        except Acs3Rejected as exc:
            return (404 if exc.code == "InvalidAccessKeyId.NotFound" else 400), exc.code
        try:
            sent_at = datetime.strptime(request.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return 400, "InvalidTimeStamp.Format"
        if abs(self.clock() - sent_at) > MAX_SKEW:
            return 400, "InvalidTimeStamp.Expired"
        nonce = request.headers["x-acs-signature-nonce"]
        if nonce in self._nonces:
            return 400, "SignatureNonceUsed"
        self._nonces.add(nonce)
        if (request.headers["x-acs-action"], request.headers["x-acs-version"]) != ("SendSms", "2017-05-25"):
            return 404, "InvalidAction.NotFound"
        return 200, None

    def _message_rule(self, query: dict[str, str]) -> str:
        if not all(query.get(name) for name in ("PhoneNumbers", "SignName", "TemplateCode", "TemplateParam")):
            return "isv.INVALID_PARAMETERS"
        if not all(_PHONE.match(number) for number in query["PhoneNumbers"].split(",")):
            return "isv.MOBILE_NUMBER_ILLEGAL"
        if query["SignName"] not in self.sign_names:
            return "isv.SMS_SIGNATURE_ILLEGAL"
        variables = self.templates.get(query["TemplateCode"])
        if variables is None:
            return "isv.SMS_TEMPLATE_ILLEGAL"
        try:
            params: Any = json.loads(query["TemplateParam"])
        except ValueError:
            return "isv.INVALID_JSON_PARAM"
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return "isv.INVALID_JSON_PARAM"
        if set(params) != variables:
            return "isv.TEMPLATE_MISSING_PARAMETERS"
        if any(not 1 <= len(value) <= 35 for value in params.values()):
            return "isv.PARAM_LENGTH_LIMIT"
        if any(_URL.search(value) for value in params.values()):
            return "isv.PARAM_NOT_SUPPORT_URL"
        return "OK"
