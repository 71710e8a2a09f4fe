"""The router's composition root: the only place that knows which adapters the router runs on.

It builds the stores on the runtime's database, the outbox on its bus, the consumer, the dialogue
and the periodic pass with exactly the dependencies each takes, and hands the views what they use
through the typed keys of :mod:`services.router.appkeys`. One cleanup context per resource, in
order: the parts, the indexes, the consumer, the periodic task, the admin API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import aiohttp
from aiohttp import web

from services.notify import directory, ledger
from services.notify.bootstrap import build_notifiers
from services.notify.directory import Directory
from services.notify.ledger import Ledger
from services.notify.settings import NotifySettings
from services.router import (
    api,
    case_page,
    case_store,
    console,
    console_session,
    contact,
    critical_model,
    openapi,
    periodic,
    registry_store,
    sign_in_code_store,
    status_store,
    worker_store,
)
from services.router import notices as committee_notices
from services.router.admin import AdminParts, serve_admin
from services.router.appkeys import (
    CASES,
    CLOCK,
    CONFIRM_LIMIT,
    CONSOLE_SESSIONS,
    DESK,
    OUTBOX,
    PRIVACY_KEYS,
    RATES,
    REGISTRY,
    ROUTER,
    SIGN_IN_CODES,
    SIGN_IN_LIMIT,
    SLA,
    STATUS_ATTEMPTS,
    STATUS_LIMIT,
    TIME_ROUNDING,
    TOKENS_DB,
    WORKERS,
)
from services.router.case_store import CaseStore
from services.router.consumer import QUEUE, GrievanceConsumer
from services.router.consumer import handlers as consumer_handlers
from services.router.contact_page import setup_contact_page
from services.router.deliveries import QUEUE as DELIVERIES_QUEUE
from services.router.deliveries import DeliveryConsumer
from services.router.deliveries import handlers as delivery_handlers
from services.router.desk import CommitteeDesk
from services.router.dialogue import Dialogue
from services.router.inbound_store import InboundStore
from services.router.ngo import QUEUE as NGO_QUEUE
from services.router.ngo import NgoConsumer
from services.router.ngo import handlers as ngo_handlers
from services.router.outbox import Outbox
from services.router.registry_store import RegistryStore
from services.router.sign_in_code_store import SignInCodes
from services.router.status_store import StatusAttempts
from services.router.worker_store import WorkerStore
from shared import auth, sessions
from shared.edge import edge_middlewares
from shared.openapi import add_openapi
from shared.ratestore import Limit, RateStore
from shared.ratestore import indexes as rate_indexes
from shared.runtime import RUNTIME, Runtime, RuntimeSource, add_runtime_health, attach_runtime
from shared.sessions import SessionStore
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.web import new_app

RATE_COUNTERS = "router_rate"
INDEXES = {
    **case_store.INDEXES,
    **registry_store.INDEXES,
    **worker_store.INDEXES,
    **auth.INDEXES,
    **sessions.INDEXES,
    **status_store.INDEXES,
    **sign_in_code_store.INDEXES,
    **rate_indexes(RATE_COUNTERS),
    **directory.INDEXES,
    **ledger.INDEXES,
}


@dataclass(frozen=True)
class Router:
    """The router's parts, wired on one runtime's adapters."""

    cases: CaseStore
    registry: RegistryStore
    workers: WorkerStore
    outbox: Outbox
    dialogue: Dialogue
    consumer: GrievanceConsumer
    periodic_pass: periodic.Tick
    deliveries: DeliveryConsumer
    ngo: NgoConsumer


def bootstrap(runtime: Runtime) -> Router:
    """Build every part with exactly what it uses (tests build the router this way too)."""
    db, bus, clock, settings = runtime.db, runtime.bus, runtime.clock, runtime.settings
    cases, registry, workers = CaseStore(db), RegistryStore(db), WorkerStore(db)
    outbox = Outbox(cases, bus)
    dialogue = Dialogue(
        cases=cases, workers=workers, registry=registry, outbox=outbox, bus=bus, clock=clock, sla=settings.sla
    )
    consumer = GrievanceConsumer(
        cases=cases,
        inbound=InboundStore(db),
        registry=registry,
        workers=workers,
        outbox=outbox,
        dialogue=dialogue,
        bus=bus,
        clock=clock,
        sla=settings.sla,
        keys=runtime.keys,
    )
    one_pass: periodic.Tick = partial(
        periodic.tick,
        cases=cases,
        outbox=outbox,
        clock=clock,
        confirmation_window=settings.confirmation_window,
    )
    deliveries = DeliveryConsumer(workers=workers, clock=clock)
    ngo = NgoConsumer(cases=cases, registry=registry, workers=workers, outbox=outbox, clock=clock)
    return Router(cases, registry, workers, outbox, dialogue, consumer, one_pass, deliveries, ngo)


def create_app(
    settings: Settings, runtime: RuntimeSource, *, notify: NotifySettings | None = None
) -> web.Application:
    notify_settings = notify or NotifySettings()
    # Behind the proxy, the status page's per-client limit and the bound of requests at once count the
    # client it names.
    app = new_app(
        "router",
        middlewares=edge_middlewares(settings.trusted_proxy_networks, settings.connections_per_client),
    )
    attach_runtime(app, runtime)

    async def parts(app: web.Application) -> AsyncIterator[None]:
        rt = app[RUNTIME]
        wired = app[ROUTER] = bootstrap(rt)
        app[CASES] = wired.cases
        app[OUTBOX] = wired.outbox
        app[REGISTRY] = wired.registry
        app[WORKERS] = wired.workers
        app[CLOCK] = rt.clock
        app[SLA] = rt.settings.sla
        app[TIME_ROUNDING] = rt.settings.committee_time_rounding
        app[PRIVACY_KEYS] = rt.keys
        app[TOKENS_DB] = rt.db
        app[DESK] = CommitteeDesk(
            cases=wired.cases,
            registry=wired.registry,
            workers=wired.workers,
            outbox=wired.outbox,
            clock=rt.clock,
            sla=rt.settings.sla,
            rounding=rt.settings.committee_time_rounding,
        )
        app[CONSOLE_SESSIONS] = SessionStore(rt.db, console_session.cookie_policy(rt.settings))
        app[RATES] = RateStore(rt.db, RATE_COUNTERS, rt.keys, rt.clock)
        app[STATUS_ATTEMPTS] = StatusAttempts(rt.db)
        app[SIGN_IN_CODES] = SignInCodes(rt.db, rt.keys)
        yield

    async def indexes(app: web.Application) -> AsyncIterator[None]:
        await ensure_indexes(app[RUNTIME].db, INDEXES)
        yield

    async def consumer(app: web.Application) -> AsyncIterator[None]:
        router, bus = app[ROUTER], app[RUNTIME].bus
        # Trained here, once per process, so that the first grievance does not wait the 0.3 s.
        critical_model.detector()
        await bus.consume(QUEUE, consumer_handlers(router.consumer))
        await bus.consume(DELIVERIES_QUEUE, delivery_handlers(router.deliveries))
        await bus.consume(NGO_QUEUE, ngo_handlers(router.ngo))
        yield

    async def notices(app: web.Application) -> AsyncIterator[None]:
        rt = app[RUNTIME]
        async with aiohttp.ClientSession() as session:
            told = committee_notices.CommitteeNotices(
                directory=Directory(rt.db),
                ledger=Ledger(rt.db, rt.clock),
                notifiers=build_notifiers(notify_settings, session),
            )
            await rt.bus.consume(committee_notices.QUEUE, committee_notices.handlers(told))
            yield

    async def periodic_task(app: web.Application) -> AsyncIterator[None]:
        async with periodic.run_periodic(app[RUNTIME].settings.sweep_interval, app[ROUTER].periodic_pass):
            yield

    app.cleanup_ctx.extend(
        [
            parts,
            indexes,
            consumer,
            notices,
            periodic_task,
            serve_admin(settings.admin_host, settings.admin_port, _admin_parts),
        ]
    )
    app[STATUS_LIMIT] = Limit("status", settings.status_rate_limit, timedelta(minutes=1))
    app[CONFIRM_LIMIT] = Limit("confirm", settings.status_rate_limit, timedelta(minutes=1))
    app[SIGN_IN_LIMIT] = Limit("sign_in", settings.status_rate_limit, timedelta(minutes=1))
    api.add_routes(app)
    contact.add_routes(app)
    console.setup_console(app)
    case_page.add_routes(app)
    setup_contact_page(app)  # the code of a web contact, entered in the browser
    add_openapi(app, openapi.document())

    add_runtime_health(app)
    return app


def _admin_parts(app: web.Application) -> AdminParts:
    runtime = app[RUNTIME]
    return AdminParts(runtime.db, runtime.bus, runtime.clock)
