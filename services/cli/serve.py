"""``grievance serve intake|router|escalation``: one service alone, as in a container.

The same entry as ``python -m services.<service>`` (:func:`shared.bootstrap.serve`). Its checks turn
a configuration that cannot work into a clear message: a single service with ``memory://`` would
wait forever for events that live in another process, a missing key would only surface as a
traceback at start-up, and a placeholder secret would run a stack whose passwords everyone knows.
"""

from __future__ import annotations

from typing import Any, Literal

from services.cli.errors import CONFIG, CliError
from shared import bootstrap
from shared.invocation import grievance
from shared.settings import ConfigurationError, Settings

SERVICES = bootstrap.SERVICES


def add_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the services (all three in one process, or one of them)",
        description="`serve all` runs intake, router and escalation in one process on their three "
        "ports, sharing one bus and store: with the defaults (memory://) that is the embedded run "
        "that needs nothing but Python. `serve intake|router|escalation` runs one service against "
        "RabbitMQ and MongoDB (GRIEVANCE_AMQP_URL, GRIEVANCE_MONGO_URL), as the containers do.",
        epilog=f"example: {grievance('serve all --registry examples/registry.yaml --tokens-out tokens.json')}",
    )
    serve.add_argument("service", choices=["all", *SERVICES], help="what to run")
    serve.add_argument(
        "--registry", metavar="FILE", help="(all) load this factory/committee registry YAML at start-up"
    )
    serve.add_argument(
        "--tokens-out",
        metavar="FILE",
        help="(all) issue one token per committee, an NGO token (all factories) and an admin token, "
        "and write them to FILE as JSON (mode 0600)",
    )
    serve.add_argument(
        "--full-log",
        action="store_true",
        help="(all) write every log line (one per HTTP request, as JSON off a terminal) instead of "
        "the embedded run's summary of cases, escalations, messages and warnings",
    )
    serve.add_argument(
        "--demo-sla",
        action="store_true",
        help="(all) short deadlines (acknowledge within 10 s, resolve within 2 min) and a 1 s "
        f"sweep, so `{grievance('demo')}` can watch a case go overdue",
    )


def log_view(settings: Settings, mode: bootstrap.Mode, full_log: bool) -> Literal["full", "summary"]:
    """The embedded run keeps its terminal readable; a chosen format or ``--full-log`` shows every line."""
    chosen = "log_format" in settings.model_fields_set
    return "summary" if mode.embedded and not full_log and not chosen else "full"


def serve_one(settings: Settings, service: bootstrap.Service) -> int:
    """Run one service until SIGINT/SIGTERM (aiohttp's ``run_app`` handles both)."""
    try:
        bootstrap.serve(service, settings)
    except ConfigurationError as exc:
        raise CliError(str(exc), CONFIG) from exc
    return 0
