"""The notifiers of one process, built from its settings around one shared HTTP session.

The service that wires notifications in calls :func:`build_notifiers` once, from its composition
root, with the ``aiohttp.ClientSession`` its cleanup context owns. The e-mail channel exists only
when an SMTP server is set. The robots share one rate window, so this process keeps under each
robot's 20 messages a minute.
"""

from __future__ import annotations

import aiohttp

from services.notify.config import Channel
from services.notify.dingtalk import DingTalkRobot
from services.notify.dispatch import Notifier
from services.notify.ratewindow import RateWindow
from services.notify.settings import NotifySettings
from services.notify.smtp import Smtp
from services.notify.wecom import WeComRobot


def build_notifiers(settings: NotifySettings, session: aiohttp.ClientSession) -> dict[Channel, Notifier]:
    context = settings.render_context()
    retry = settings.retry()
    window = RateWindow(settings.notify_robot_rate)
    notifiers: dict[Channel, Notifier] = {
        "wecom": WeComRobot(
            session, context=context, retry=retry, timeout=settings.notify_timeout, window=window
        ),
        "dingtalk": DingTalkRobot(
            session, context=context, retry=retry, timeout=settings.notify_timeout, window=window
        ),
    }
    if settings.smtp_host is not None:
        notifiers["email"] = Smtp(settings, context=context, retry=retry)
    return notifiers
