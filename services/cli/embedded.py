"""``grievance serve all``: the three services in one process, sharing one runtime.

With the default ``memory://`` URLs this is the embedded run: a fresh machine with nothing but Python
runs the whole system, because the in-memory bus and store are shared by the three applications of
this process. It also works against RabbitMQ and MongoDB (one process instead of three containers).
At start-up it loads the registry, issues the tokens a newcomer needs to try the APIs, writes them to
a file only its owner can read, and prints where everything is. Against a real store the tokens of
an earlier start outlive it, so only the missing ones are issued (:func:`seed.prepare`).
"""

from __future__ import annotations

import asyncio
import secrets
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import structlog
from aiohttp import web
from pydantic import SecretStr

from services.cli import seed
from services.cli.banner import admin_url, banner, ops_url, urls
from services.cli.connect import probe_broker
from services.cli.errors import CONFIG, OK, UNAVAILABLE, CliError, where
from services.cli.serve import SERVICES
from services.router.admin import CannotListen
from shared.bootstrap import Mode, build_app, check_safe, open_runtime, service_keys
from shared.listen import GuardedSite, limits_for
from shared.ops import start_ops
from shared.runtime import Runtime
from shared.serving import tune_collector
from shared.settings import ConfigurationError, Settings
from shared.sla import Deadlines, SlaTable
from shared.web import RUNNER_OPTIONS

log = structlog.get_logger(__name__)

_SHORT = Deadlines(ack=timedelta(seconds=10), resolve=timedelta(minutes=2))
DEMO_SLA = SlaTable(critical=_SHORT, high=_SHORT, normal=_SHORT)
DEMO_SWEEP = timedelta(seconds=1)


def embedded_settings(settings: Settings, *, embedded: bool, demo_sla: bool) -> tuple[Settings, bool]:
    """Adjust the settings for a one-process run; say whether a development Twilio token was made.

    Public URLs left at their defaults follow the ports actually used, so signatures and status
    links stay right when the ports are moved. An embedded run without a Twilio auth token gets a
    random one, written to the tokens file, so the demo (and a developer) can sign webhooks.
    """
    update: dict[str, Any] = {}
    if "public_base_url" not in settings.model_fields_set:
        update["public_base_url"] = f"http://127.0.0.1:{settings.intake_port}"
    if "public_status_url" not in settings.model_fields_set:
        update["public_status_url"] = f"http://127.0.0.1:{settings.router_port}"
    generated = embedded and settings.twilio_auth_token is None
    if generated:
        update["twilio_auth_token"] = SecretStr(secrets.token_hex(16))
    if demo_sla:
        update["sla"] = DEMO_SLA
        update["sweep_interval"] = DEMO_SWEEP
    return settings.model_copy(update=update), generated


async def serve_all(
    settings: Settings,
    mode: Mode,
    *,
    registry: Path | None,
    tokens_out: Path | None,
    demo_sla: bool,
    out: TextIO,
) -> int:
    """Serve until SIGINT or SIGTERM, then shut the applications down before the runtime.

    ``mode``: what the bootstrap read from the settings (embedded, or against RabbitMQ and MongoDB).
    The runtime holds every key (the embedded run generates missing ones for its one process); each
    application is built on it with its own keys only.
    """
    try:
        check_safe(settings, list(SERVICES))
        keys = service_keys(settings)
    except ConfigurationError as exc:
        raise CliError(str(exc), CONFIG) from exc
    settings, generated_twilio = embedded_settings(settings, embedded=mode.embedded, demo_sla=demo_sla)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if not mode.memory_bus:
        await probe_broker(settings)
    try:
        async with open_runtime(settings, keys=keys) as runtime:
            await _check_reachable(runtime, mode)
            runners = await _start(settings, runtime)
            tune_collector()  # once all three have started
            try:
                previous = seed.read_tokens(tokens_out) if tokens_out is not None else None
                prepared = await seed.prepare(
                    runtime.db,
                    runtime.bus,
                    registry,
                    persistent=not mode.memory_store,
                    previous=previous,
                    issue=tokens_out is not None,
                )
                tokens = prepared.tokens
                if tokens_out is not None:
                    extras: dict[str, Any] = {
                        "urls": urls(settings),
                        "public_base_url": settings.public_base_url,
                    }
                    if settings.admin_port is not None:
                        extras["admin_url"] = admin_url(settings)
                    if settings.ops_port is not None:
                        extras["ops_url"] = ops_url(settings)
                    if generated_twilio and settings.twilio_auth_token is not None:
                        extras["twilio_auth_token"] = settings.twilio_auth_token.get_secret_value()
                    seed.write_tokens(tokens_out, {**tokens, **extras})
                print(
                    banner(
                        settings,
                        registry,
                        tokens_out,
                        tokens,
                        demo_sla,
                        generated_twilio,
                        embedded=mode.embedded,
                        elsewhere=prepared.elsewhere,
                    ),
                    file=out,
                    flush=True,
                )
                log.info("embedded_run_ready", services=list(SERVICES), demo_sla=demo_sla)
                await stop.wait()
                log.info("embedded_run_stopping")
            finally:
                # The operational listener, then intake: no new grievances while the consumers
                # finish what they hold.
                for runner in runners:
                    await runner.cleanup()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return OK


async def _check_reachable(runtime: Runtime, mode: Mode) -> None:
    settings = runtime.settings
    if not mode.memory_bus and not runtime.bus.is_ready():
        raise CliError(f"RabbitMQ does not answer at {where(settings.amqp_url)}", UNAVAILABLE)
    if not mode.memory_store and not await runtime.db_ready():
        raise CliError(f"MongoDB does not answer at {where(settings.mongo_url)}", UNAVAILABLE)


async def _start(settings: Settings, runtime: Runtime) -> list[web.AppRunner]:
    runners: list[web.AppRunner] = []
    try:
        for service in SERVICES:
            runner = web.AppRunner(build_app(service, settings, runtime), **RUNNER_OPTIONS)
            try:
                await runner.setup()  # the router's admin API starts listening here
            except CannotListen as exc:
                raise CliError(str(exc), CONFIG) from exc
            runners.append(runner)
            port: int = getattr(settings, f"{service}_port")
            try:
                limits = limits_for(settings.connections_per_client, settings.trusted_proxy_networks)
                await GuardedSite(runner, settings.host, port, limits=limits).start()
            except OSError as exc:
                raise CliError(
                    f"cannot listen on {settings.host}:{port} for {service} ({exc.strerror or exc}); "
                    f"set GRIEVANCE_{service.upper()}_PORT to a free port",
                    CONFIG,
                ) from exc
        # One operational listener for the three: they share this process's bus, store and metrics.
        apps: dict[str, web.Application] = {
            service: runner.app for service, runner in zip(SERVICES, runners, strict=True)
        }
        ops = await start_ops(apps, settings.ops_host, settings.ops_port)
    except ConfigurationError as exc:
        for runner in runners:
            await runner.cleanup()
        raise CliError(str(exc), CONFIG) from exc
    except BaseException:
        for runner in runners:
            await runner.cleanup()
        raise
    return runners if ops is None else [ops, *runners]
