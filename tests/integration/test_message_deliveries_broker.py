"""Delivery states through the real RabbitMQ: intake announces, the router folds, the committee sees."""

from __future__ import annotations

import aio_pika
import pytest

from shared.bootstrap import open_runtime
from shared.privacy import Keys
from tests.conftest import FAST_RETRY, make_settings
from tests.fakes import FakeClock
from tests.service.deliveries_support import pair_settings, serve_pair
from tests.service.intake_support import FakeTwilio

pytestmark = pytest.mark.broker


async def queue_depths(amqp_url: str, name: str) -> tuple[int, int]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        live = await channel.declare_queue(name, passive=True)
        dead = await channel.declare_queue(name + ".dead", passive=True)
        return live.declaration_result.message_count or 0, dead.declaration_result.message_count or 0


async def test_a_committee_sees_sent_then_delivered_across_the_broker(
    amqp_url: str, amqp_namespace: str, keys: Keys
) -> None:
    async with FakeTwilio() as twilio:
        settings = pair_settings(make_settings, twilio, amqp_url=amqp_url, amqp_namespace=amqp_namespace)
        async with (
            open_runtime(settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys) as runtime,
            serve_pair(settings, runtime, twilio) as pair,
        ):
            await pair.a_case()
            sid = await pair.answer()
            await pair.sees("sent")
            await pair.report(sid, "delivered")
            await pair.report(sid, "sent")  # late, and earlier: it changes nothing
            await pair.sees("delivered")
            second = await pair.answer()
            await pair.sees("delivered", "sent")
            await pair.report(second, "failed", "30008")
            await pair.sees("delivered", "failed")
            assert await queue_depths(amqp_url, amqp_namespace + "router.deliveries") == (0, 0)
