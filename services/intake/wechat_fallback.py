"""A WeChat message outside the 48 h window (or past its quota): a notice, or it waits for the worker.

In this order, for a message of a case (one with a reference):

1. **A template message** when ``GRIEVANCE_WECHAT_TEMPLATE_ID`` is set: the neutral line, the case code
   and the time, opening the worker page (:mod:`services.intake.wechat_notice`). Its ``client_msg_id``
   is the event id, so WeChat takes a retried send once. The message is recorded ``sent`` with
   ``notice: template``: the worker reads the text on the worker page.
2. **A one-time subscription message** when the worker agreed to one for this case
   (:mod:`services.intake.wechat_consents`): the consent is taken before the send (two replicas never
   use one consent twice), given back if the send fails for now, and spent if WeChat says the worker
   holds none (43101), which then leaves the message to wait. Recorded ``sent``, ``notice: subscription``.
3. **Waiting** otherwise: the record becomes ``waiting`` (announced ``waiting_for_worker``) and keeps
   the event sealed; the worker's next message sends it (:mod:`services.intake.wechat_waiting`).

A message without a reference (a help text before any case) has no worker page to point to: it waits.
So does a sign-in code: a notice would point the worker to the page the code is for, without the
code; it waits, and is dropped as ``expired`` if the worker writes only after its life
(:mod:`services.intake.wechat_waiting`).
Nothing here logs the OpenID, the text or the code.
"""

from __future__ import annotations

import asyncio

import structlog

from services.intake import store
from services.intake.channels.delivery import PermanentDeliveryError
from services.intake.channels.wechat_api import WeChatApi
from services.intake.wechat_consents import Consents
from services.intake.wechat_notice import SCENE, NoticePolicy, subscription_notice
from shared.contracts import MessageOutbound
from shared.ids import case_code
from shared.privacy import Keys
from shared.runtime import Clock
from shared.store import Database

log = structlog.get_logger(__name__)

PROVIDER = "wechat"
WAITING_FOR_WORKER = "waiting_for_worker"
NO_SUBSCRIPTION = "43101"


class OutsideWindow:
    """What the WeChat leg does with a claimed message it cannot send as customer-service text."""

    def __init__(
        self, db: Database, keys: Keys, clock: Clock, api: WeChatApi, policy: NoticePolicy, consents: Consents
    ) -> None:
        self._db, self._keys, self._clock = db, keys, clock
        self._api, self._policy, self._consents = api, policy, consents

    async def handle(self, event: MessageOutbound, openid: str, reporter_key: str, reason: str) -> None:
        """Notify or wait, and record it; delivery errors propagate (the sender records or retries)."""
        notice = event.reference is not None and event.purpose != "sign_in_code"
        if notice and event.reference is not None and self._policy.template_id is not None:
            await self._template(event, openid, event.reference, self._policy.template_id, reason)
            return
        template = self._policy.subscribe_template_id
        if (
            notice
            and event.reference is not None
            and template is not None
            and await self._subscription(event, openid, reporter_key, event.reference, template, reason)
        ):
            return
        await store.wait(self._db, event, self._clock(), reporter_key=reporter_key)
        log.info("outbound_waiting", reason=reason, purpose=event.purpose, provider=PROVIDER)

    async def _template(
        self, event: MessageOutbound, openid: str, reference: str, template_id: str, reason: str
    ) -> None:
        msgid = await self._api.send_template(
            openid,
            template_id,
            self._policy.template_data(reference, event.language, self._clock()),
            url=self._policy.worker_page(case_code(reference)),
            client_msg_id=str(event.id),
        )
        await self._sent(event, "template", msgid, reason)

    async def _subscription(
        self,
        event: MessageOutbound,
        openid: str,
        reporter_key: str,
        reference: str,
        template_id: str,
        reason: str,
    ) -> bool:
        """Send by a consent of the worker's; False when there is none (or WeChat says so)."""
        code, event_id = case_code(reference), str(event.id)
        consent = await self._consents.take(
            reporter_key=reporter_key, code=code, template_id=template_id, event_id=event_id, at=self._clock()
        )
        if consent is None:
            return False
        notice = subscription_notice(reference, event.language)
        try:
            msgid = await self._api.send_subscription_notice(
                openid,
                template_id,
                scene=SCENE,
                title=notice.title,
                content=notice.content,
                url=self._policy.worker_page(code),
            )
        except PermanentDeliveryError as exc:
            if exc.code == NO_SUBSCRIPTION:
                log.info("wechat_consent_spent", purpose=event.purpose)
                return False
            raise
        except BaseException:
            await asyncio.shield(self._consents.give_back(consent, event_id))
            raise
        await self._sent(event, "subscription", msgid, reason)
        return True

    async def _sent(self, event: MessageOutbound, notice: str, msgid: str, reason: str) -> None:
        now = self._clock()
        await store.finish(
            self._db,
            str(event.id),
            "sent",
            now,
            parts=1,
            provider=PROVIDER,
            notice=notice,
            window=reason,
            notice_msgid=msgid,
        )
        log.info("outbound_sent", parts=1, purpose=event.purpose, provider=PROVIDER, notice=notice)
