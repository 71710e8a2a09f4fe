"""How an admin command reaches the running system's store or bus, and fails clearly when it cannot.

Admin commands open their own runtime from the settings, use only the adapter they need (the other
one is replaced by its in-memory twin so that, say, listing tokens does not wait for RabbitMQ), and
check that the adapter answers before doing anything.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cryptography.fernet import Fernet

from services.cli.errors import UNAVAILABLE, CliError, require_shared_bus, require_shared_store, where
from shared.privacy import Keys
from shared.runtime import Runtime, open_runtime
from shared.settings import Settings


def throwaway_keys() -> Keys:
    """Admin commands never seal or pseudonymise anything, so they need no configured keys."""
    return Keys(contact=Fernet(Fernet.generate_key()), pseudonym=secrets.token_bytes(32))


@asynccontextmanager
async def store_runtime(settings: Settings, command: str) -> AsyncIterator[Runtime]:
    """A runtime whose store is the system's MongoDB (checked with a ping)."""
    require_shared_store(settings, command)
    local = settings.model_copy(update={"amqp_url": "memory://"})
    async with open_runtime(local, keys=throwaway_keys()) as runtime:
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
    local = settings.model_copy(update={"mongo_url": "memory://"})
    async with open_runtime(local, keys=throwaway_keys()) as runtime:
        if not runtime.bus.is_ready():
            raise CliError(
                f"RabbitMQ does not answer at {where(settings.amqp_url)}. Is it running, and is "
                "GRIEVANCE_AMQP_URL right?",
                UNAVAILABLE,
            )
        yield runtime
