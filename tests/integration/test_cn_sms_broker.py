"""Chinese SMS uplinks against the real RabbitMQ: confirmed before the answer, one event per uplink
however often the provider pushes it, across two intake replicas."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from shared.bootstrap import open_runtime
from shared.privacy import Keys
from shared.settings import Settings
from tests.conftest import FAST_RETRY
from tests.fakes import OTHER_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.integration.test_intake_broker import queued_messages
from tests.service.cn_sms_support import aliyun_path, cn_settings, push, sms_up, tencent_path, tencent_reply
from tests.service.intake_support import serve

pytestmark = pytest.mark.broker

TEXT = sensitive("GZ-001 车间的安全出口每天晚上都锁着")
OTHER = sensitive("GZ-001 这个月的加班费没有发")


async def test_ten_pushes_to_two_replicas_are_one_confirmed_event_each(
    amqp_settings: Settings, amqp_url: str, keys: Keys, settings_factory: Callable[..., Settings]
) -> None:
    settings = cn_settings(
        settings_factory, amqp_url=amqp_settings.amqp_url, amqp_namespace=amqp_settings.amqp_namespace
    )
    aliyun_body = [sms_up(WORKER_PHONE, TEXT)]
    tencent_body = tencent_reply(OTHER_WORKER_PHONE, OTHER)
    async with open_runtime(settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys) as runtime:
        assert runtime.bus.is_ready()
        async with serve(settings, runtime) as one, serve(settings, runtime) as two:
            for attempt in range(10):
                replica = (one, two)[attempt % 2]
                answer = await push(replica, aliyun_path(), aliyun_body)
                assert answer.status == 200 and await answer.json() == {"code": 0, "msg": "接收成功"}
                assert (await push(replica, tencent_path(), tencent_body)).status == 200
    messages = await queued_messages(amqp_url, amqp_settings.amqp_namespace + "router.grievances")
    bodies = [json.loads(m.body) for m in messages]
    assert sorted(b["provider"] for b in bodies) == ["aliyun", "tencent"]
    assert {b["text"] for b in bodies} == {TEXT, OTHER}
