"""The RabbitMQ bus (aio-pika): quorum queues, publisher confirms, and acks after the effect.

One robust connection per process. Publishing uses one channel with confirms and ``mandatory`` (a
returned message raises), persistent delivery and a timeout, so :meth:`AmqpBus.publish` returning
means the broker has the event. The publishes are coalesced per loop turn on aiormq's internals,
unless the channel lacks any of them: then aio-pika's public API writes them, chosen once per
connection (:mod:`shared.amqp_publish`). When the broker is unreachable the bus keeps trying to
connect in the background and publishes fail fast, which lets intake answer 503 instead of hanging.
A message a consumer rejects goes to its queue's ``.dead`` twin with the reason recorded in its
headers (a confirmed copy, then the ack: :mod:`shared.amqp_dead`).

Three rules keep an outage from turning into a wait or a storm:

- **Fail fast after a confirm timeout.** A dead route keeps the connection looking up until the
  heartbeats run out (about three heartbeat intervals). The first publish not confirmed in time
  opens a breaker (:mod:`shared.breaker`): every publish then fails at once, :meth:`is_ready` is
  false, and a probe (one at a time, every :data:`PROBE_INTERVAL` seconds) checks whether the
  broker confirms again. The probe is a publish to the dead-letter exchange with a routing key no
  queue is bound to, without ``mandatory``: the broker drops and confirms it, which proves it reads
  and confirms this connection's publishes, and nothing is delivered anywhere. Its confirm, or any
  other, closes the breaker.
- **Consumers get a share of the publishing, not all of it.** Publishes made while handling a
  delivery (a router or escalation handler republishing) take one of ``consumer_publishes`` slots
  (32) first; publishes of requests and periodic tasks never wait for one. After a reconnect the
  broker redelivers up to prefetch x consumers messages at once; without the slots all their
  republishes would sit in front of a webhook's publish, and with a loaded broker time out together.
  A :class:`PublishError` is retried by the handler with a smaller, jittered budget
  (:class:`shared.messaging.Retry`).
- **Shutdown is bounded.** :meth:`AmqpBus.close` stops consuming without waiting for the broker,
  ends the handlers' retries, gives the handlers in flight until the publish timeout plus
  :data:`CLOSE_GRACE` seconds, and then closes the connection within :data:`CLOSE_GRACE` more,
  whatever the broker does. Whatever was not acknowledged by then is redelivered to the next
  consumer.

The bus publishes to the two exchanges only, never through the default exchange: RabbitMQ limits
the routing keys of a topic exchange per user (topic permissions) but lets whoever may write to the
default exchange put a message into any queue by name. So a service's broker user needs no more
than its own events on the main exchange and its own queues' names on the dead-letter exchange
(services/cli/broker.py). Only replaying dead letters (the admin user's) uses the default exchange.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Collection, Iterable, Sequence

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aiormq import spec
from aiormq.exceptions import DeliveryError
from aiormq.exceptions import PublishError as ReturnedError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential
from yarl import URL

from shared.amqp_dead import (
    discard_dead_letters,
    fetch_dead_letter,
    peek_dead_letters,
    rejected_copy,
    replay_dead_letters,
)
from shared.amqp_publish import ConfirmedPublisher, PathName, open_publisher
from shared.breaker import ConfirmBreaker
from shared.contracts import Event
from shared.messaging import (
    DEAD_ARGUMENTS,
    DEAD_LETTER_EXCHANGE,
    DEAD_SUFFIX,
    EXCHANGE,
    PROBE_KEY,
    QUEUES,
    DeadLetter,
    Handler,
    PublishError,
    Replayed,
    Retry,
    Settlement,
    Unroutable,
    deliver,
    in_delivery,
    queue_arguments,
)
from shared.metrics import count_published

log = structlog.get_logger(__name__)

BasicProperties = spec.Basic.Properties
PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)

HEARTBEAT = 15  # seconds, unless the URL sets ``heartbeat``
PROBE_INTERVAL = 1.0  # seconds between probes while the breaker is open
CLOSE_GRACE = 2.0  # seconds: see the module docstring


class AmqpBus:
    """Implements :class:`shared.messaging.Bus` on RabbitMQ."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        publish_timeout: float = 5.0,
        prefetch: int = 128,
        delivery_limit: int = 20,
        retry: Retry | None = None,
        connection_name: str = "grievance",
        consumer_publishes: int = 32,
        queues: Sequence[str] | None = None,
        coalesce: bool = True,
    ) -> None:
        """``coalesce=False``: publish through aio-pika's public API even where aiormq's internals
        would allow coalescing (:mod:`shared.amqp_publish`)."""
        unknown = sorted(set(queues or ()) - set(QUEUES))
        if unknown:
            raise ValueError(f"not queues of the topology: {', '.join(unknown)}")
        # The queues this process declares: its consumers' (shared.messaging.CONSUMERS), or all.
        self._queues = tuple(QUEUES) if queues is None else tuple(queues)
        self._url = url
        # Shown in RabbitMQ's connection list, so an operator can tell the processes apart.
        self._connection_name = connection_name
        self._ns = namespace
        self._timeout = publish_timeout
        self._prefetch = prefetch
        self._delivery_limit = delivery_limit
        self._retry = retry or Retry()
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._coalesce = coalesce
        self._publisher: ConfirmedPublisher | None = None  # chosen when the channel opens
        self._breaker = ConfirmBreaker()
        self._prober: asyncio.Task[None] | None = None
        # Publishes made while handling a delivery wait for one of these (module docstring).
        self._consumer_slots = asyncio.Semaphore(consumer_publishes)
        self._connector: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._consumers: list[tuple[str, Handler]] = []
        self._consuming: list[tuple[AbstractQueue, str]] = []
        self._in_flight = 0
        self._closing = False
        self._stopping = asyncio.Event()  # set by close(): no new deliveries, no more retries
        self._idle = asyncio.Event()
        self._idle.set()

    def name(self, queue: str) -> str:
        return f"{self._ns}{queue}"

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect and declare; if the broker is not there yet, go on connecting in the background."""
        self._closing = False
        self._stopping.clear()
        self._connector = asyncio.create_task(self._connect_until_up(), name="amqp-connect")
        waiter = asyncio.ensure_future(self._connected.wait())
        await asyncio.wait(
            {waiter, self._connector}, timeout=self._timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not waiter.done():
            waiter.cancel()
            log.warning("broker_unreachable", action="retrying in the background")
        if self._connector.done():
            self._connector.result()  # a topology that cannot be declared is a start-up error

    async def _connect_until_up(self) -> None:
        # Until the broker answers or the bus closes: 0.5 s after the first failure, doubling to 30 s.
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=30.0),
            retry=retry_if_exception_type(Exception),
            before_sleep=_log_connect_failed,
        )
        connection: aio_pika.RobustConnection | None = await retrying(self._connect_once)
        if connection is None:
            return
        self._connection = connection
        self._channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        self._publisher = await open_publisher(self._channel, self._timeout, coalesce=self._coalesce)
        self._exchange = await self.declare(self._channel)
        for queue, handler in self._consumers:
            await self._start_consumer(queue, handler)
        self._connected.set()
        log.info("broker_connected")

    async def _connect_once(self) -> aio_pika.RobustConnection | None:
        """One connection attempt; None once the bus is closing."""
        if self._closing:
            return None
        connection = aio_pika.RobustConnection(
            connection_url(self._url), client_properties={"connection_name": self._connection_name}
        )
        try:
            await asyncio.wait_for(connection.connect(timeout=self._timeout), timeout=self._timeout + 1)
        except BaseException as exc:
            # A failed or cancelled attempt must not leave aio-pika's reconnect task behind.
            await _close_quietly(connection)
            if isinstance(exc, asyncio.CancelledError) or self._closing:
                raise asyncio.CancelledError from None
            raise
        return connection

    async def declare(self, channel: AbstractChannel) -> AbstractExchange:
        """Both exchanges, and this process's queues with their twins and bindings; idempotent.

        A service declares only the queues it consumes: declaring a queue with a dead-letter
        exchange needs *read* permission on it, which is the permission to consume it. The other
        queues come from the broker's definitions file (or the process that consumes them).
        """
        exchange = await channel.declare_exchange(
            self.name(EXCHANGE), aio_pika.ExchangeType.TOPIC, durable=True
        )
        dlx = await channel.declare_exchange(
            self.name(DEAD_LETTER_EXCHANGE), aio_pika.ExchangeType.TOPIC, durable=True
        )
        for queue in self._queues:
            name = self.name(queue)
            arguments = queue_arguments(self._ns, queue, self._delivery_limit)
            live = await channel.declare_queue(name, durable=True, arguments=arguments)
            for key in QUEUES[queue]:
                await live.bind(exchange, routing_key=key)
            dead = await channel.declare_queue(name + DEAD_SUFFIX, durable=True, arguments=DEAD_ARGUMENTS)
            await dead.bind(dlx, routing_key=name)
        return exchange

    async def close(self) -> None:
        """Stop consuming, let handlers in flight finish, disconnect: bounded whatever the broker does.

        Nothing here waits on the broker without a bound. aio-pika's robust queue would wait for a
        reconnect before it sent a cancel, and a cancel's ``Basic.CancelOk`` never comes through a
        dead route: the consumers are cancelled without waiting for the answer, and only while
        connected (a lost connection took its consumers with it). A message delivered after that
        is left unacknowledged, so the broker hands it to the next consumer.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout + CLOSE_GRACE
        self._stopping.set()
        await self._cancel_consumers(deadline)
        try:
            async with asyncio.timeout_at(deadline):
                await self._idle.wait()
        except TimeoutError:
            log.warning("handlers_still_running_at_close", count=self._in_flight)
        self._closing = True
        last = deadline + CLOSE_GRACE
        await _cancel_and_wait([self._connector, self._prober], max(0.0, last - loop.time()))
        if self._connection is not None:
            await _close_quietly(self._connection, max(0.1, last - loop.time()))
        self._exchange = None

    async def _cancel_consumers(self, deadline: float) -> None:
        consuming, self._consuming = self._consuming, []
        connection = self._connection
        if not consuming or connection is None or not connection.connected.is_set():
            return
        try:
            async with asyncio.timeout_at(deadline):
                for queue, tag in consuming:
                    await queue.cancel(tag, nowait=True)
        except Exception as exc:  # TimeoutError too: the connection goes anyway
            log.warning("consumer_cancel_failed", error=exc.__class__.__name__)

    def is_ready(self) -> bool:
        connection = self._connection
        return (
            self._exchange is not None
            and connection is not None
            and connection.connected.is_set()
            and not self._breaker.is_open
        )

    # -- publishing --------------------------------------------------------------------------------

    @property
    def publishing(self) -> PathName | None:
        """How publishes are written ("coalesced" or "public"); None until the first connection."""
        return None if self._publisher is None else self._publisher.path

    async def publish(self, event: Event) -> None:
        """Publish with ``mandatory`` and wait for the broker's confirm, all within the publish timeout.

        This is the hot path of intake: the properties are built once and directly, and on the
        coalesced path the publishes of one loop turn are written together, each still confirmed on
        its own (:mod:`shared.coalesced_publish`). The frames on the wire are the same as aio-pika's,
        which writes them on the public path (:mod:`shared.amqp_publish`). A handler's publish
        first waits for a consumer slot (module docstring).
        """
        if in_delivery():
            async with self._consumer_slots:
                await self._publish(event)
        else:
            await self._publish(event)

    async def _publish(self, event: Event) -> None:
        if not self._connected_now():
            raise PublishError("not connected to the broker")
        if self._breaker.is_open:
            self._probe_soon()  # running already, unless the bus has just been restarted
            raise self._breaker.refuse()
        exchange = self._exchange
        assert exchange is not None  # _connected_now() saw it
        routing_key = event.routing_key()
        properties = BasicProperties(
            content_type="application/json",
            delivery_mode=PERSISTENT,
            priority=0,
            headers={"schema_version": event.schema_version},
            message_id=str(event.id),
            correlation_id=str(event.correlation_id),
            message_type=event.type,
            timestamp=event.occurred_at,
        )
        try:
            await self._confirmed(exchange.name, routing_key, event.to_json(), properties)
        except ReturnedError as exc:
            raise Unroutable(f"no queue bound for {routing_key}") from exc
        except DeliveryError as exc:
            raise PublishError("broker refused the event") from exc
        except TimeoutError as exc:
            if self._breaker.trip(self._timeout):
                self._probe_soon()
            raise PublishError("broker did not confirm in time") from exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise PublishError(f"publish failed: {exc.__class__.__name__}") from exc
        self._breaker.close()  # a confirm: whatever was open is over
        count_published(event.type)

    def _connected_now(self) -> bool:
        channel, connection = self._channel, self._connection
        return (
            channel is not None
            and not channel.is_closed
            and self._exchange is not None
            and connection is not None
            and connection.connected.is_set()
        )

    async def _confirmed(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: spec.Basic.Properties,
        *,
        mandatory: bool = True,
    ) -> None:
        """Write one publish and wait for its confirm (the publisher bounds the wait by the timeout).

        The caller has just seen the connection up, and nothing runs between that check and this
        call, so the robust channel underneath does not wait for a reconnect.
        """
        assert self._publisher is not None  # set with the channel
        await self._publisher.publish(exchange, routing_key, body, properties, mandatory=mandatory)

    # -- the breaker's probe -------------------------------------------------------------------------

    def _probe_soon(self) -> None:
        if self._prober is None or self._prober.done():
            self._prober = asyncio.create_task(self._probe_until_confirmed(), name="amqp-probe")

    async def _probe_until_confirmed(self) -> None:
        """One probe at a time while the breaker is open; the first answer from the broker closes it."""
        while self._breaker.is_open and not self._closing:
            if self._connected_now():
                try:
                    await self._probe()
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise  # close() stops the probes
                    # Not this task's cancellation: a stray one must not end the probes, or the
                    # breaker would stay open for good.
                    log.debug("broker_probe_failed", error="CancelledError")
                except Exception as exc:  # whatever it was, the breaker stays open and the next probe follows
                    log.debug("broker_probe_failed", error=exc.__class__.__name__)
                else:
                    self._breaker.close()
                    return
            await asyncio.sleep(PROBE_INTERVAL)

    async def _probe(self) -> None:
        """A publish nobody receives, which the broker confirms: it reads and confirms our publishes.

        Not ``mandatory``, so the broker drops it without a return: a return that came after the
        probe's own timeout would find no publish waiting for it, and aiormq logs that as an error.
        A nack is an answer too.
        """
        properties = BasicProperties(message_id=uuid.uuid4().hex, delivery_mode=1)
        with contextlib.suppress(DeliveryError):
            await self._confirmed(
                self.name(DEAD_LETTER_EXCHANGE), self.name(PROBE_KEY), b"", properties, mandatory=False
            )

    # -- consuming ---------------------------------------------------------------------------------

    async def consume(self, queue: str, handler: Handler) -> None:
        self._consumers.append((queue, handler))
        if self._connected.is_set():
            await self._start_consumer(queue, handler)

    async def _start_consumer(self, queue: str, handler: Handler) -> None:
        assert self._connection is not None
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        live = await channel.get_queue(self.name(queue), ensure=True)

        async def on_message(message: AbstractIncomingMessage) -> None:
            if self._stopping.is_set():
                return  # closing: left unacknowledged, the broker redelivers it to the next consumer
            self._in_flight += 1
            self._idle.clear()
            try:
                settled = await deliver(message.body, message.type, handler, self._retry, self._stopping)
                if settled.outcome == "ack":
                    await message.ack()
                elif settled.outcome == "reject":
                    await self._dead_letter(message, settled, queue)
                else:
                    await message.nack(requeue=True)
            except Exception as exc:
                # The channel went away: the broker redelivers the unacked message, nothing is lost.
                log.warning("settle_failed", error=exc.__class__.__name__)
            finally:
                self._in_flight -= 1
                if not self._in_flight:
                    self._idle.set()

        tag = await live.consume(on_message)
        self._consuming.append((live, tag))

    async def _dead_letter(self, message: AbstractIncomingMessage, settled: Settlement, queue: str) -> None:
        """Move a rejected message to its twin with the reason recorded, confirmed before the ack.

        ``basic.reject`` cannot add headers, so the bus publishes the copy itself (to the
        dead-letter exchange with the twin's binding key, ``mandatory``, confirmed) and
        acknowledges the original only after the confirm. When the copy cannot be confirmed (the
        broker is not confirming, or the twin is missing) the original is rejected instead:
        RabbitMQ dead-letters it to the same twin, only without the explanation, which the
        ``event_rejected`` log line still holds.
        """
        try:
            if not self._connected_now() or self._breaker.is_open:
                raise PublishError("the broker is not confirming")
            await self._confirmed(
                self.name(DEAD_LETTER_EXCHANGE),
                self.name(queue),  # the routing key the twin is bound with
                message.body,
                rejected_copy(message, settled, queue),
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "dead_letter_unexplained", dead_letter_id=settled.dead_letter_id, error=exc.__class__.__name__
            )
            await message.reject(requeue=False)
            return
        await message.ack()

    # -- dead letters ------------------------------------------------------------------------------

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        assert self._connection is not None, "not connected"
        return await peek_dead_letters(self._connection, self.name(queue.removesuffix(DEAD_SUFFIX)), limit)

    async def dead_letter(self, queue: str, letter_id: str) -> tuple[DeadLetter, bytes] | None:
        assert self._connection is not None, "not connected"
        return await fetch_dead_letter(
            self._connection, self.name(queue.removesuffix(DEAD_SUFFIX)), letter_id
        )

    async def replay(self, queue: str, limit: int | None = None, *, force: bool = False) -> Replayed:
        assert self._connection is not None, "not connected"
        logical = queue.removesuffix(DEAD_SUFFIX)
        return await replay_dead_letters(
            self._connection, self.name(logical), logical, self._timeout, limit, force=force
        )

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int:
        assert self._connection is not None, "not connected"
        return await discard_dead_letters(
            self._connection, self.name(queue.removesuffix(DEAD_SUFFIX)), letter_ids
        )


def connection_url(url: str) -> URL:
    """The broker URL with our heartbeat, unless it names one itself.

    aiormq reads the heartbeat from the URL's query only: aio-pika drops a ``heartbeat`` keyword
    given to a connection's constructor (only ``connect_robust()`` moves keywords into the URL),
    and aiormq then uses its default of 60 s, which takes three minutes to notice a dead peer.
    """
    parsed = URL(url)
    return parsed if "heartbeat" in parsed.query else parsed.update_query(heartbeat=HEARTBEAT)


def _log_connect_failed(state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome is not None else None
    log.warning("broker_connect_failed", attempt=state.attempt_number, error=failure.__class__.__name__)


async def _close_quietly(connection: AbstractRobustConnection, grace: float = CLOSE_GRACE) -> None:
    try:
        await asyncio.wait_for(connection.close(), timeout=grace)
    except Exception as exc:
        log.debug("connection_close_failed", error=exc.__class__.__name__)


async def _cancel_and_wait(tasks: Iterable[asyncio.Task[None] | None], grace: float) -> None:
    running = {task for task in tasks if task is not None and not task.done()}
    for task in running:
        task.cancel()
    if running:
        await asyncio.wait(running, timeout=grace)
