"""Wiring of the Chinese SMS webhooks into intake: the four routes, their secrets, the uplink store."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from services.intake.cn_sms import CALLBACK_SECRETS, UPLINKS, CallbackSecrets, aliyun_sms, tencent_sms
from services.intake.cn_sms_reports import aliyun_report, tencent_status
from services.intake.cn_sms_store import INDEXES, Uplinks
from shared.runtime import RUNTIME
from shared.settings import Settings
from shared.store import ensure_indexes


def install_cn_sms(app: web.Application, settings: Settings) -> None:
    """The routes exist always (a wrong or unset secret is the same 404 as an unknown path)."""
    app[CALLBACK_SECRETS] = CallbackSecrets.of(settings)

    async def uplinks(app: web.Application) -> AsyncIterator[None]:
        db = app[RUNTIME].db
        if settings.aliyun_callback_secret or settings.tencent_callback_secret:
            await ensure_indexes(db, INDEXES)
        app[UPLINKS] = Uplinks(db)
        yield

    app.cleanup_ctx.append(uplinks)
    app.router.add_post("/webhooks/aliyun/sms/{secret}", aliyun_sms)
    app.router.add_post("/webhooks/aliyun/sms-report/{secret}", aliyun_report)
    app.router.add_post("/webhooks/tencent/sms/{secret}", tencent_sms)
    app.router.add_post("/webhooks/tencent/sms-status/{secret}", tencent_status)
