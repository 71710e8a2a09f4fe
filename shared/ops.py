"""The operational endpoints, ``/healthz``, ``/readyz`` and ``/metrics``, on a listener of their own.

On a public port they would let anyone watch ``grievance_events_published_total`` tick and time a
grievance as it passes through. So a service's public application keeps only ``/healthz`` (it says
the process answers, nothing more), and declares what readiness means (:data:`HEALTH`); whoever
serves the application also starts the operational listener (``GRIEVANCE_OPS_HOST``, loopback by
default, and ``GRIEVANCE_OPS_PORT``, 8084), through :class:`shared.listen.GuardedSite` like every
port: ``python -m services.<name>`` for its one service, ``serve all`` one for all three (their bus,
store and metrics are the process's own, shared). Compose's health checks run inside each container,
so loopback serves them; a scraper on the compose network needs ``GRIEVANCE_OPS_HOST=0.0.0.0`` on a
network that is not published.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from shared.listen import LIMITS, ConnectionLimits, GuardedSite
from shared.metrics import CONTENT_TYPE, METRICS, Metrics
from shared.settings import ConfigurationError
from shared.web import RUNNER_OPTIONS, json_response, new_app

Check = Callable[[], Awaitable[bool]]
ReadyWhen = Callable[[Mapping[str, bool]], bool]


def _all_answer(results: Mapping[str, bool]) -> bool:
    return all(results.values())


@dataclass(frozen=True)
class Health:
    """What readiness means for one service: named checks, and which of them must pass."""

    checks: tuple[tuple[str, Check], ...]
    ready_when: ReadyWhen = _all_answer

    async def evaluate(self) -> tuple[bool, dict[str, bool]]:
        results = {name: await check() for name, check in self.checks}
        return self.ready_when(results), results


HEALTH = web.AppKey("health", Health)


async def healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


def declare_health(
    app: web.Application, checks: Iterable[tuple[str, Check]], ready_when: ReadyWhen = _all_answer
) -> None:
    """The public ``/healthz``, and readiness for the operational listener to report."""
    app[HEALTH] = Health(tuple(checks), ready_when)
    app.router.add_get("/healthz", healthz)


def create_ops_app(services: Mapping[str, web.Application], metrics: Metrics = METRICS) -> web.Application:
    """``/healthz``, ``/readyz`` and ``/metrics`` of the services of this process (``metrics``:
    the process's own registry unless told otherwise).

    ``/readyz`` is ready when every service is; ``checks`` holds each check's result (false when it
    fails for any service), and with more than one service ``services`` holds each one's answer.
    """
    app = new_app("ops")
    health = {name: service[HEALTH] for name, service in services.items() if HEALTH in service}

    async def readyz(_: web.Request) -> web.Response:
        answers: dict[str, dict[str, Any]] = {}
        checks: dict[str, bool] = {}
        for name, declared in health.items():
            ready, results = await declared.evaluate()
            answers[name] = {"status": "ready" if ready else "not_ready", "checks": results}
            for check, passed in results.items():
                checks[check] = checks.get(check, True) and passed
        ready = all(answer["status"] == "ready" for answer in answers.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
        if len(answers) > 1:
            body["services"] = answers
        return json_response(body, 200 if ready else 503)

    async def scrape(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)
    return app


async def start_ops(
    services: Mapping[str, web.Application],
    host: str,
    port: int | None,
    *,
    limits: ConnectionLimits = LIMITS,
) -> web.AppRunner | None:
    """Serve :func:`create_ops_app` on ``host:port`` (none when ``port`` is None); the caller cleans
    the runner up. :class:`ConfigurationError` naming the setting when the port is taken."""
    if port is None:
        return None
    runner = web.AppRunner(create_ops_app(services), **RUNNER_OPTIONS)
    await runner.setup()
    try:
        await GuardedSite(runner, host, port, limits=limits).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigurationError(
            f"cannot listen on {host}:{port} for the operational endpoints ({exc.strerror or exc}); "
            "set GRIEVANCE_OPS_PORT to a free port (or off)"
        ) from exc
    return runner
