"""Delivery reports of Chinese SMS: ``POST /webhooks/aliyun/sms-report/{secret}`` and
``POST /webhooks/tencent/sms-status/{secret}``.

Checked like the uplinks (:mod:`services.intake.cn_sms`: the path secret, then the whole body). Each
report moves the delivery state of the message it names as Twilio's status callback does
(:func:`services.intake.store.record_delivery`, by the provider's id: Alibaba's ``BizId``,
Tencent's ``SerialNo``), and the announcer tells the router. A report is also how an unconfirmed
send is settled: when the provider's id is unknown but the report carries our own id (``OutId``,
``ext``) of a message recorded ``unconfirmed`` (the send's answer was lost), the message becomes
``sent`` under that id first (:func:`services.intake.store.reconcile`), and nothing is sent twice.

The answer waits until every report is stored; a store that does not answer is 503 and the
provider pushes again (a report applied twice changes nothing). A report of a message we never
sent is acknowledged and ignored.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from aiohttp import web

from services.intake import store
from services.intake.channels import aliyun_push, tencent_push
from services.intake.cn_sms import checked_body, malformed
from services.intake.outbound import ANNOUNCER
from services.intake.state import INTAKE
from shared.store import Database, PyMongoError
from shared.web import Problem, json_response

log = structlog.get_logger(__name__)

_NOT_CODE = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class Report:
    """One provider's word on one message: delivered or not, and the code it gave."""

    provider_sid: str
    out_id: str | None
    delivered: bool
    code: str


def error_code(code: str) -> str | None:
    """A provider's code in the form a delivery event carries (``isv.X`` -> ``isv_X``); None if empty."""
    cleaned = _NOT_CODE.sub("_", code.strip())[:32]
    return cleaned or None


async def apply(db: Database, report: Report, now: datetime) -> bool:
    """Record one report; whether it named a message of ours."""
    status = "delivered" if report.delivered else "undelivered"
    code = None if report.delivered else error_code(report.code)
    if await store.record_delivery(db, report.provider_sid, status, code, now):
        return True
    if not _our_id(report.out_id) or not await store.reconcile(
        db, str(report.out_id), report.provider_sid, now
    ):
        return False
    log.info("outbound_reconciled", delivered=report.delivered)
    return await store.record_delivery(db, report.provider_sid, status, code, now)


def _our_id(value: str | None) -> bool:
    try:
        return value is not None and str(uuid.UUID(value)) == value
    except ValueError:
        return False


async def aliyun_report(request: web.Request) -> web.Response:
    body = await checked_body(request, "aliyun", aliyun_push.MAX_BODY)
    try:
        items = aliyun_push.parse_sms_reports(body)
    except aliyun_push.MalformedPush as exc:
        raise malformed("aliyun", str(exc)) from None
    await _apply_all(request, "aliyun", [Report(i.biz_id, i.out_id, i.success, i.err_code) for i in items])
    return json_response(aliyun_push.ACK)


async def tencent_status(request: web.Request) -> web.Response:
    body = await checked_body(request, "tencent", tencent_push.MAX_BODY)
    try:
        items = tencent_push.parse_statuses(body)
    except tencent_push.MalformedCallback as exc:
        raise malformed("tencent", str(exc)) from None
    reports = [Report(i.sid, i.ext, i.report_status == "SUCCESS", i.errmsg) for i in items]
    await _apply_all(request, "tencent", reports)
    return json_response(tencent_push.ACK)


async def _apply_all(request: web.Request, provider: str, reports: list[Report]) -> None:
    intake = request.app[INTAKE]
    known = 0
    try:
        for report in reports:
            known += await apply(intake.db, report, intake.clock())
    except PyMongoError as exc:
        log.warning("delivery_report_not_stored", provider=provider, error=exc.__class__.__name__)
        problem = Problem(503, "Service Unavailable", "the report could not be stored just now; retry")
        problem.headers["Retry-After"] = "5"
        raise problem from None
    if known and ANNOUNCER in request.app:
        request.app[ANNOUNCER].wake()
    log.info("delivery_reports", provider=provider, reports=len(reports), known=known)
