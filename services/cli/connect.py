"""How an admin command reaches the running system's store or bus, and fails clearly when it cannot.

Admin commands open their own runtime from the settings through the bootstrap, with only the adapter
they need (the other one is its in-memory twin, so that, say, listing tokens does not wait for
RabbitMQ) and no keys (they never seal or pseudonymise anything), and check that the adapter answers
before doing anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.cli.errors import UNAVAILABLE, CliError, require_shared_bus, require_shared_store, where
from shared.bootstrap import open_runtime
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings


@asynccontextmanager
async def store_runtime(settings: Settings, command: str, keys: Keys | None = None) -> AsyncIterator[Runtime]:
    """A runtime whose store is the system's MongoDB (checked with a ping); no keys unless given."""
    require_shared_store(settings, command)
    async with open_runtime(settings, keys=keys or Keys(), bus=False) as runtime:
        if not await runtime.db_ready():
            raise CliError(
                f"MongoDB does not answer at {where(settings.mongo_url)}. Is it running, and is "
                "GRIEVANCE_MONGO_URL right?",
                UNAVAILABLE,
            )
        yield runtime


async def probe_broker(settings: Settings) -> None:
    """Connect once, plainly, before the robust bus is started.

    The bus keeps reconnecting in the background when the broker is away, which is right for a
    service and wrong for a command: it should say at once that the broker does not answer.
    """
    import aio_pika

    try:
        connection = await aio_pika.connect(settings.amqp_url, timeout=settings.amqp_publish_timeout)
    except Exception as exc:  # refused, unresolvable, timed out, wrong credentials
        raise CliError(
            f"RabbitMQ does not answer at {where(settings.amqp_url)} ({exc.__class__.__name__}). Is it "
            "running, and is GRIEVANCE_AMQP_URL right?",
            UNAVAILABLE,
        ) from None
    await connection.close()


@asynccontextmanager
async def bus_runtime(settings: Settings, command: str) -> AsyncIterator[Runtime]:
    """A runtime whose bus is the system's RabbitMQ (connected, topology declared)."""
    require_shared_bus(settings, command)
    await probe_broker(settings)
    async with open_runtime(settings, keys=Keys(), store=False) as runtime:
        if not runtime.bus.is_ready():
            raise CliError(
                f"RabbitMQ does not answer at {where(settings.amqp_url)}. Is it running, and is "
                "GRIEVANCE_AMQP_URL right?",
                UNAVAILABLE,
            )
        yield runtime
