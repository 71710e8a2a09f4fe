"""How the bus writes a confirmed publish: coalesced on aiormq's internals, or aio-pika's public API.

The coalesced path (:mod:`shared.coalesced_publish`) is intake's hot path, and it uses aiormq's
private bookkeeping. That surface is fenced (upper bounds in ``pyproject.toml``, a broker test), and
checked again whenever the bus opens its publishing channel: :func:`open_publisher` asks
:func:`shared.coalesced_publish.missing_internals` about that very channel, and when anything is
missing it logs one warning naming it and publishes through aio-pika's public API instead
(``Exchange.publish`` with the channel's publisher confirms). A release that moves aiormq's
internals then costs throughput (docs/benchmarks.md), not publishes.

Both paths keep one contract, which :class:`shared.amqp.AmqpBus` translates into its own errors:
a returned message (``mandatory``) raises aiormq's ``PublishError``, a nack its ``DeliveryError``,
no confirm within the timeout ``TimeoutError``, a channel that closes first an ``Exception`` (never
a ``CancelledError`` the caller did not ask for), and a message without ``message_id`` is refused
with ``ValueError`` before anything is sent (returns are matched to their publish by it).
"""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version
from typing import Literal, Protocol, cast

import aio_pika
import aiormq
import structlog
from aio_pika.abc import AbstractChannel, AbstractExchange
from aiormq.exceptions import ChannelInvalidStateError
from pamqp import commands as spec

from shared import coalesced_publish

log = structlog.get_logger(__name__)

PathName = Literal["coalesced", "public"]


class ConfirmedPublisher(Protocol):
    """Publishes on one confirm-mode channel and returns once the broker has confirmed."""

    path: PathName

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: spec.Basic.Properties,
        *,
        mandatory: bool = True,
    ) -> None: ...


class CoalescedPublisher:
    """The publishes of one loop turn in one write, on the channel underneath aio-pika's."""

    path: PathName = "coalesced"

    def __init__(self, channel: AbstractChannel, timeout: float) -> None:
        self._channel = channel
        self._coalescing = coalesced_publish.CoalescingPublisher(timeout)

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: spec.Basic.Properties,
        *,
        mandatory: bool = True,
    ) -> None:
        # A robust channel would wait here for a reconnect; the bus has just seen the connection up.
        underlay = cast(aiormq.Channel, await self._channel.get_underlay_channel())
        await self._coalescing.publish(underlay, exchange, routing_key, body, properties, mandatory=mandatory)


class PublicPublisher:
    """One ``Exchange.publish`` per message, bounded by the timeout: only aio-pika's public API."""

    path: PathName = "public"

    def __init__(self, channel: AbstractChannel, timeout: float) -> None:
        self._channel = channel
        self._timeout = timeout
        self._exchanges: dict[str, AbstractExchange] = {}

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: spec.Basic.Properties,
        *,
        mandatory: bool = True,
    ) -> None:
        message = as_message(body, properties)
        target = self._exchanges.get(exchange)
        if target is None:
            # Declared by the bus already; this only names it (no round trip).
            target = self._exchanges[exchange] = await self._channel.get_exchange(exchange, ensure=False)
        # One bound for everything, a robust channel's wait for its connection included.
        async with asyncio.timeout(self._timeout):
            try:
                await target.publish(message, routing_key, mandatory=mandatory)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # the caller is being cancelled, or the timeout expired
                # aiormq fails the waiting confirms with CancelledError when a connection closes with
                # that reason: to the caller it is a closed channel (as on the coalesced path).
                raise ChannelInvalidStateError("the channel closed before the broker confirmed") from None


def as_message(body: bytes, properties: spec.Basic.Properties) -> aio_pika.Message:
    """The same properties as an aio-pika message, which builds them again when it is published."""
    if not properties.message_id:
        raise ValueError("a returned message is matched to its publish by message_id; set one")
    if properties.cluster_id:
        raise ValueError("aio-pika's messages have no cluster_id (deprecated in AMQP 0-9-1)")
    expiration = properties.expiration
    return aio_pika.Message(
        body,
        headers=properties.headers,
        content_type=properties.content_type,
        content_encoding=properties.content_encoding,
        delivery_mode=properties.delivery_mode,
        priority=properties.priority,
        correlation_id=properties.correlation_id,
        reply_to=properties.reply_to,
        expiration=None if expiration is None else int(expiration) / 1000,  # milliseconds on the wire
        message_id=properties.message_id,
        timestamp=properties.timestamp,
        type=properties.message_type,
        user_id=properties.user_id,
        app_id=properties.app_id,
    )


async def open_publisher(
    channel: AbstractChannel, publish_timeout: float, *, coalesce: bool = True
) -> ConfirmedPublisher:
    """The coalesced publisher if ``channel`` has everything it needs, else the public one (logged).

    ``coalesce=False`` chooses the public path without asking (tests, comparisons).
    """
    if not coalesce:
        return PublicPublisher(channel, publish_timeout)
    underlay = await channel.get_underlay_channel()
    if isinstance(underlay, aiormq.Channel):
        missing = coalesced_publish.missing_internals(underlay)
    else:
        missing = [f"aiormq.Channel (found {type(underlay).__name__})"]
    if not missing:
        return CoalescedPublisher(channel, publish_timeout)
    log.warning(
        "publishing_through_public_api",
        missing=missing,
        aiormq=_version("aiormq"),
        pamqp=_version("pamqp"),
        reason="aiormq's internals are not what shared/coalesced_publish.py expects",
    )
    return PublicPublisher(channel, publish_timeout)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
