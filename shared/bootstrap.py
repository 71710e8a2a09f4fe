"""The one place that chooses adapters: bus, store, keys, outbound delivery and clock, from the settings.

Settings only name things (``memory://`` or a broker's URL, keys or none); this module turns them into
the adapters a process runs on and the choices that follow from them, and hands those down as plain
parameters. It alone looks at a URL scheme: :func:`mode_of` reads the two URLs once into a
:class:`Mode`, and the rest of the code base receives that value (or the adapters built from it)
instead of asking the settings whether it runs embedded
(``tests/unit/test_shared_bootstrap.py`` fails when a module elsewhere does):

- **bus and store**: the in-memory twins (:class:`~shared.memorybus.MemoryBus`, mongomock) for
  ``memory://``, RabbitMQ and MongoDB otherwise (:func:`open_bus`, :func:`open_store_client`,
  :func:`open_runtime`); an admin command opens only the part it uses, the other one in memory;
- **keys** (least privilege, :data:`HELD_KEYS`): intake holds the contact key (it seals at the edge and
  unseals in its sender) and the pseudonym key; the router only the pseudonym key (PIN checks);
  escalation none. Missing keys are generated for the process in the embedded mode only, and checked
  for placeholders and length everywhere else (:func:`check_safe`);
- **intake's spool**: only on a store that outlives the process;
- **outbound delivery**: the provider whose credentials are configured; else the development channel
  in the embedded mode, and "unconfigured" anywhere else (messages become ``undeliverable``);
- **the clock**: the wall clock, unless the caller hands in another (tests move theirs);
- **refusals**: a service outside the embedded mode does not start with placeholder or short secrets
  (:mod:`shared.safety`), nor alone on ``memory://``; an admin command does not act on a store or
  bus that lives only inside another process (:func:`check_shared`).

``serve all`` (:mod:`services.cli.embedded`) opens one runtime and builds the three applications with
:func:`build_app`; ``python -m services.<name>`` and ``grievance serve <name>`` run :func:`serve`, which
builds one application on a runtime of its own. Tests build the same applications on fakes.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from aiohttp import web
from pydantic import ValidationError
from pydantic_settings import SettingsError

from shared.contracts import utcnow
from shared.invocation import grievance
from shared.memorybus import MemoryBus
from shared.messaging import CONSUMERS, Bus, Retry
from shared.privacy import Keys, load_keys
from shared.runtime import Clock, Runtime, RuntimeSource
from shared.safety import refusals
from shared.serving import run_service
from shared.settings import ConfigurationError, Settings
from shared.store import open_memory_client, open_mongo_client
from shared.validation import setting_errors

Service = Literal["intake", "router", "escalation"]
SERVICES: tuple[Service, ...] = ("intake", "router", "escalation")
MEMORY = "memory://"

# Which keys each service holds: (contact key, pseudonym key).
HELD_KEYS: dict[Service, tuple[bool, bool]] = {
    "intake": (True, True),
    "router": (False, True),
    "escalation": (False, False),
}


# -- the choices ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    """Where the settings put the bus and the store; every embedded-versus-production choice follows.

    Read once from the settings (:func:`mode_of`) and handed down as a value: nothing outside this
    module looks at the URLs to tell.
    """

    memory_bus: bool  # the bus lives in this process (it reaches no other process)
    memory_store: bool  # the store lives in this process and dies with it

    @property
    def embedded(self) -> bool:
        """Bus and store both in this process: the embedded run that needs nothing but Python."""
        return self.memory_bus and self.memory_store


def mode_of(settings: Settings) -> Mode:
    """The mode the settings' two URLs name."""
    return Mode(memory_bus=settings.amqp_url == MEMORY, memory_store=settings.mongo_url == MEMORY)


def service_keys(settings: Settings, service: Service | None = None) -> Keys:
    """The keys ``service`` holds, and no other; every key for None (the one process of ``serve all``).

    Generated for the process in the embedded mode; loaded, and refused when missing, anywhere else.
    """
    contact, pseudonym = HELD_KEYS[service] if service is not None else (True, True)
    return load_keys(settings, contact=contact, pseudonym=pseudonym, generate=mode_of(settings).embedded)


def narrowed(runtime: Runtime, service: Service) -> Runtime:
    """A shared runtime (``serve all``) as one service of it sees it: with that service's keys only."""
    contact, pseudonym = HELD_KEYS[service]
    return dataclasses.replace(runtime, keys=runtime.keys.only(contact=contact, pseudonym=pseudonym))


# -- the adapters ------------------------------------------------------------------------------------


def open_bus(settings: Settings, retry: Retry | None = None, queues: tuple[str, ...] | None = None) -> Bus:
    """The bus the settings name: the in-memory one for ``memory://``, else an ``amqp://`` broker.

    ``queues``: the queues the broker bus declares (one service's, :data:`CONSUMERS`); None for all.
    The in-memory bus lives in one process, which holds the whole topology.
    """
    retry = retry or Retry()
    if mode_of(settings).memory_bus:
        return MemoryBus(
            namespace=settings.amqp_namespace,
            prefetch=settings.amqp_prefetch,
            delivery_limit=settings.amqp_delivery_limit,
            retry=retry,
        )
    if settings.amqp_url.startswith(("amqp://", "amqps://")):
        from shared.amqp import AmqpBus

        return AmqpBus(
            settings.amqp_url,
            namespace=settings.amqp_namespace,
            publish_timeout=settings.amqp_publish_timeout,
            prefetch=settings.amqp_prefetch,
            delivery_limit=settings.amqp_delivery_limit,
            retry=retry,
            queues=queues,
        )
    raise ValueError("GRIEVANCE_AMQP_URL must be memory:// or amqp(s)://")


def open_store_client(url: str) -> Any:
    """A client of the store ``url`` names: the in-memory engine for ``memory://``, else MongoDB."""
    if url == MEMORY:
        return open_memory_client()
    if url.startswith(("mongodb://", "mongodb+srv://")):
        return open_mongo_client(url)
    raise ValueError("GRIEVANCE_MONGO_URL must be memory:// or mongodb://")


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    retry: Retry | None = None,
    keys: Keys | None = None,
    bus: bool = True,
    store: bool = True,
    service: Service | None = None,
) -> AsyncIterator[Runtime]:
    """Open the bus and the store the settings name, for as long as the context lasts.

    ``keys`` default to every key of the settings (generated in the embedded mode). ``bus`` or
    ``store`` false: that part is its in-memory twin, for a command that uses only the other one
    (listing tokens does not wait for RabbitMQ). ``service``: the bus declares only the queues that
    service consumes, all that its broker user may declare (else the whole topology).
    """
    client: Any = open_store_client(settings.mongo_url) if store else open_memory_client()
    queues = None if service is None else CONSUMERS[service]
    opened: Bus = open_bus(settings, retry, queues) if bus else MemoryBus(namespace=settings.amqp_namespace)
    held = keys if keys is not None else service_keys(settings)
    await opened.start()
    try:
        yield Runtime(settings, opened, client[settings.mongo_db], held, clock)
    finally:
        await opened.close()
        client.close()


# -- the applications --------------------------------------------------------------------------------


def build_app(service: Service, settings: Settings, runtime: RuntimeSource) -> web.Application:
    """One service's application on ``runtime`` (a shared one, or an opener of its own)."""
    if isinstance(runtime, Runtime):
        runtime = narrowed(runtime, service)
    if service == "intake":
        from services.intake.app import create_app as intake_app

        mode = mode_of(settings)
        return intake_app(settings, runtime, spool=not mode.memory_store, development_channel=mode.embedded)
    if service == "router":
        from services.router.app import create_app as router_app

        return router_app(settings, runtime)
    from services.escalation.app import create_app as escalation_app

    return escalation_app(settings, runtime)


def service_app(service: Service, settings: Settings) -> web.Application:
    """``service`` alone, on a runtime it opens at start-up and holding only its own keys."""
    keys = service_keys(settings, service)
    return build_app(service, settings, partial(open_runtime, settings, keys=keys, service=service))


def check_service(settings: Settings, service: Service) -> None:
    """Everything that stops one service before it starts; :class:`ConfigurationError` with the reasons."""
    mode = mode_of(settings)
    memory = [
        name
        for name, inside in (
            ("GRIEVANCE_AMQP_URL", mode.memory_bus),
            ("GRIEVANCE_MONGO_URL", mode.memory_store),
        )
        if inside
    ]
    if memory:
        raise ConfigurationError(
            f"`{grievance(f'serve {service}')}` runs one service alone, but {' and '.join(memory)} "
            f"{'is' if len(memory) == 1 else 'are'} memory://. The in-memory bus and store live only "
            "inside one process, so this service would never see the events of the other two. Run "
            f"`{grievance('serve all')}` for the embedded mode, or point both URLs at RabbitMQ and MongoDB "
            "(see docs/deployment.md)."
        )
    check_safe(settings, [service])
    service_keys(settings, service)  # missing or malformed keys


def check_safe(settings: Settings, services: list[Service]) -> None:
    """Outside the embedded mode, refuse placeholder or short secrets of what these services hold."""
    if mode_of(settings).embedded:
        return
    contact = any(HELD_KEYS[s][0] for s in services)
    pseudonym = any(HELD_KEYS[s][1] for s in services)
    reasons = refusals(settings, contact_key=contact, pseudonym_key=pseudonym)
    if reasons:
        raise ConfigurationError(
            "refusing to start with unsafe settings: " + "; ".join(reasons) + " (see docs/deployment.md)"
        )


def check_shared(settings: Settings, part: Literal["bus", "store"], command: str) -> None:
    """An admin command acts on the bus or the store of a running system: refuse an in-memory one,
    which lives only inside the process that runs it (:class:`ConfigurationError` saying what to do)."""
    mode = mode_of(settings)
    if part == "store" and mode.memory_store:
        raise ConfigurationError(
            f"`{grievance(command)}` needs a MongoDB store, but GRIEVANCE_MONGO_URL is memory://. "
            "The in-memory store lives only inside the process that runs it, so act through that "
            f"process's admin API instead: `{grievance(command)} --tokens tokens.json` (the tokens file "
            "of `make run`), or set GRIEVANCE_MONGO_URL=mongodb://..."
        )
    if part == "bus" and mode.memory_bus:
        raise ConfigurationError(
            f"`{grievance(command)}` needs RabbitMQ, but GRIEVANCE_AMQP_URL is memory://. "
            f"The in-memory bus lives only inside the process that runs it (`{grievance('serve all')}`), "
            f"so act through its admin API instead: `{grievance(command)} --tokens tokens.json`, or "
            "set GRIEVANCE_AMQP_URL=amqp://..."
        )


def serve(service: Service, settings: Settings) -> None:
    """Run one service until SIGINT/SIGTERM; :class:`ConfigurationError` when it cannot start."""
    from services.router.admin import CannotListen

    check_service(settings, service)
    port = int(getattr(settings, f"{service}_port"))
    try:
        run_service(partial(service_app, service), port, settings)
    except CannotListen as exc:
        raise ConfigurationError(str(exc)) from exc


def load_settings() -> Settings:
    """The settings of the environment; :class:`ConfigurationError` naming what is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(
            "invalid configuration: " + " ".join(setting_errors(exc, Settings))
        ) from None
    except SettingsError as exc:  # a structured setting (GRIEVANCE_SLA) that is not JSON at all
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"GRIEVANCE_{field.group(1).upper()}" if field else "a GRIEVANCE_ setting"
        raise ConfigurationError(
            f"invalid configuration: {name} is not JSON; write it like "
            '{"normal": {"ack": "PT48H", "resolve": "P15D"}} (see .env.example)'
        ) from None


CONFIG_EXIT = 3  # the exit code of a configuration that cannot run (as the CLI's)


def main(service: Service) -> int:
    """``python -m services.<service>``: the settings of the environment, then :func:`serve`."""
    try:
        serve(service, load_settings())
    except ConfigurationError as exc:
        print(f"grievance: error: {exc}", file=sys.stderr)  # noqa: T201 - a usage error, as the CLI's
        return CONFIG_EXIT
    except KeyboardInterrupt:
        return 130
    return 0
