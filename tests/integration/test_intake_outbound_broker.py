"""The sender behind the real RabbitMQ: one outbound event, exactly one request to Twilio."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from services.intake import store
from shared.bootstrap import open_runtime
from shared.contracts import MessageOutbound
from shared.privacy import Keys, seal
from shared.settings import Settings
from tests.conftest import FAST_RETRY
from tests.fakes import WORKER_PHONE, FakeClock
from tests.service.intake_support import OUTBOUND_ACCOUNT_SID, FakeTwilio, intake_settings, serve

pytestmark = pytest.mark.broker


async def test_outbound_event_through_rabbitmq_sends_one_sms(
    amqp_settings: Settings, keys: Keys, settings_factory: Callable[..., Settings]
) -> None:
    async with FakeTwilio() as twilio:
        settings = intake_settings(
            settings_factory,
            amqp_url=amqp_settings.amqp_url,
            amqp_namespace=amqp_settings.amqp_namespace,
            twilio_account_sid=OUTBOUND_ACCOUNT_SID,
            twilio_api_base=twilio.base_url,
        )
        event = MessageOutbound(
            correlation_id=uuid.uuid4(),
            channel="sms",
            sealed_contact=seal(keys, WORKER_PHONE),
            text="委员会已回复您的案件。",
            language="zh",
            reference="ABCDE-FGHJK",
            case_id=str(uuid.uuid4()),
            purpose="committee_reply",
            gateway_number="+8610690000001",
        )
        runtime_context = open_runtime(settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys)
        async with runtime_context as runtime, serve(settings, runtime):
            await runtime.bus.publish(event)
            await runtime.bus.publish(event)  # the same event again, as a redelivery would bring it
            async with asyncio.timeout(10):
                while True:
                    document = await store.outbound_for_event(runtime.db, str(event.id))
                    if document and document["status"] == "sent" and len(twilio.requests) >= 1:
                        break
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # let the second delivery, if it were to send, reach the fake server
        assert len(twilio.requests) == 1
        assert twilio.requests[0]["form"]["To"] == WORKER_PHONE
        assert twilio.requests[0]["form"]["Body"] == "委员会已回复您的案件。"
