"""Helpers for the Chinese SMS tests: settings that point intake at the local providers, and the
bodies Alibaba and Tencent push, in the shapes of their documented samples.

Not a test module of its own.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from services.intake.cn_sms_templates import CODE, DEFAULT_WORDING
from shared.settings import SMS_TEMPLATE_KINDS, Settings
from tests.fakes import FakeClock, sensitive
from tests.providers.aliyun import FakeAliyunSms
from tests.providers.tencent import FakeTencentSms

ALIYUN_SECRET = sensitive("aliyun-callback-secret-0123456789abcdefXYZ")
TENCENT_SECRET = sensitive("tencent-callback-secret-0123456789abcdefXYZ")
ALIYUN_KEY_ID, ALIYUN_KEY_SECRET = "LTAI5tGrievanceTests", sensitive("aliyun-access-key-secret-4567")
TENCENT_ID, TENCENT_KEY = "AKIDgrievancetests0123", sensitive("tencent-secret-key-0123456789ab")
TENCENT_APP = "1400787878"
SIGN = "工人服务"
KINDS = SMS_TEMPLATE_KINDS
ALIYUN_TEMPLATES = {kind: f"SMS_{4000 + n}" for n, kind in enumerate(KINDS)}
TENCENT_TEMPLATES = {kind: str(1_800_000 + n) for n, kind in enumerate(KINDS)}
WORKER_PAGE = "https://status.example.org/case/"
_SEQUENCE = itertools.count(1_800_000_000_001)
_TIMES = itertools.count(1_772_438_400)


def aliyun_path(secret: str = ALIYUN_SECRET) -> str:
    return f"/webhooks/aliyun/sms/{secret}"


def aliyun_report_path(secret: str = ALIYUN_SECRET) -> str:
    return f"/webhooks/aliyun/sms-report/{secret}"


def tencent_path(secret: str = TENCENT_SECRET) -> str:
    return f"/webhooks/tencent/sms/{secret}"


def tencent_status_path(secret: str = TENCENT_SECRET) -> str:
    return f"/webhooks/tencent/sms-status/{secret}"


def cn_settings(
    settings_factory: Callable[..., Settings],
    aliyun: str | None = None,
    tencent: str | None = None,
    **overrides: Any,
) -> Settings:
    """Intake with both callback secrets, and each provider whose local server is given."""
    values: dict[str, Any] = {
        "aliyun_callback_secret": ALIYUN_SECRET,
        "tencent_callback_secret": TENCENT_SECRET,
        "sms_worker_page_url": WORKER_PAGE,
    }
    if aliyun is not None:
        values |= {
            "aliyun_access_key_id": ALIYUN_KEY_ID,
            "aliyun_access_key_secret": ALIYUN_KEY_SECRET,
            "aliyun_sign_name": SIGN,
            "aliyun_templates": ALIYUN_TEMPLATES,
            "aliyun_api_base": aliyun,
        }
    if tencent is not None:
        values |= {
            "tencent_secret_id": TENCENT_ID,
            "tencent_secret_key": TENCENT_KEY,
            "tencent_sms_app_id": TENCENT_APP,
            "tencent_sign_name": SIGN,
            "tencent_templates": TENCENT_TEMPLATES,
            "tencent_api_base": tencent,
        }
    values.update(overrides)
    return settings_factory(**values)


def _has_code(kind: str) -> bool:
    return CODE in DEFAULT_WORDING["zh"][kind]  # type: ignore[index]


@asynccontextmanager
async def aliyun_server(clock: FakeClock) -> AsyncIterator[FakeAliyunSms]:
    """Alibaba with our templates registered as their default wordings declare them."""
    templates = {code: ({"code"} if _has_code(kind) else set()) for kind, code in ALIYUN_TEMPLATES.items()}
    async with FakeAliyunSms(
        clock, access_keys={ALIYUN_KEY_ID: ALIYUN_KEY_SECRET}, sign_names={SIGN}, templates=templates
    ) as fake:
        yield fake


@asynccontextmanager
async def tencent_server(clock: FakeClock) -> AsyncIterator[FakeTencentSms]:
    templates = {tid: (1 if _has_code(kind) else 0) for kind, tid in TENCENT_TEMPLATES.items()}
    async with FakeTencentSms(
        clock,
        secrets={TENCENT_ID: TENCENT_KEY},
        sdk_app_ids={TENCENT_APP},
        sign_names={SIGN},
        templates=templates,
    ) as fake:
        yield fake


def sms_up(
    phone: str, content: str, *, sequence_id: int | None = None, dest_code: str = "1234"
) -> dict[str, Any]:
    """One SmsUp item; ``phone`` as Alibaba writes a mainland number (no +86)."""
    return {
        "phone_number": phone.removeprefix("+86"),
        "send_time": "2026-03-02 16:00:00",
        "content": content,
        "sign_name": SIGN,
        "dest_code": dest_code,
        "sequence_id": sequence_id if sequence_id is not None else next(_SEQUENCE),
    }


def sms_report(biz_id: str, out_id: str | None, phone: str, *, success: bool = True) -> dict[str, Any]:
    return {
        "phone_number": phone.removeprefix("+86"),
        "send_time": "2026-03-02 16:00:01",
        "report_time": "2026-03-02 16:00:05",
        "success": success,
        "err_code": "DELIVERED" if success else "MK:0012",
        "err_msg": "用户接收成功" if success else "fail",
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": out_id,
    }


def tencent_reply(phone: str, text: str, *, time: int | None = None) -> dict[str, Any]:
    return {
        "extend": "",
        "mobile": phone.removeprefix("+86"),
        "nationcode": "86",
        "sign": SIGN,
        "text": text,
        "time": time if time is not None else next(_TIMES),
    }


def tencent_status(sid: str, ext: str | None, phone: str, *, success: bool = True) -> dict[str, Any]:
    return {
        "user_receive_time": "2026-03-02 16:00:05",
        "nationcode": "86",
        "mobile": phone.removeprefix("+86"),
        "report_status": "SUCCESS" if success else "FAIL",
        "errmsg": "DELIVRD" if success else "MK:0012",
        "description": "用户短信送达成功" if success else "fail",
        "sid": sid,
        "ext": ext,
    }


async def push(client: TestClient[Any, Any], path: str, body: object) -> ClientResponse:
    return await client.post(
        path, data=json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"}
    )
