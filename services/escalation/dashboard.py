"""The NGO's effectiveness dashboard on escalation's port: ``/console/dashboard`` and its CSV.

The figures are the statistics of ``GET /api/v1/stats`` (the same pipeline, the same scope: an NGO
token scoped to factories sees only theirs), narrowed by the filters (period, factory, category),
then released through the k-rule of :mod:`services.escalation.dashboard_suppression` before any
of them reaches the page or the file. Only GET: the dashboard changes nothing, so it has no form to
guard, and a filtered view is a link one can keep.

Who may look: a browser signed in to the NGO console, whose session (``shared.sessions``, kind
``ngo``, the NGO token's id in its data as ``token_id``, cookie ``ngo_session``) the console's
sign-in starts.
Each request checks that the token behind it still works, so revoking it closes the dashboard too.
Anyone else is sent to the console's sign-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from services.escalation import stats, stats_store
from services.escalation.dashboard_csv import csv_bytes
from services.escalation.dashboard_suppression import FIGURES, Released, release
from services.escalation.dashboard_texts import TEXTS
from services.escalation.dashboard_view import Texts, charts, factory_name, lines, says
from shared.auth import Principal, live_principal
from shared.contracts import CATEGORIES, Category, PlainId
from shared.pages import BASE, TEMPLATES, Catalog, page_language, render, setup_pages
from shared.runtime import RUNTIME
from shared.sessions import CookiePolicy, Session, SessionStore
from shared.validation import plain_errors, summary
from shared.web import Problem

KIND = "ngo"
COOKIE = "ngo_session"
LIFETIME = timedelta(hours=12)
SIGN_IN = "/console/sign-in?" + urlencode({"next": "/console/dashboard"})
# The dashboard's own words over the page kit's, whichever pages set the kit up.
CATALOG_OF_DASHBOARD = BASE.merged(TEXTS)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EARLIEST, _LATEST = date(1970, 1, 1), date(9998, 12, 31)


def _day(value: Any) -> Any:
    """``YYYY-MM-DD`` only (pydantic alone would take a number for a Unix time), within range."""
    if not (isinstance(value, str) and _DAY.fullmatch(value)):
        raise ValueError("not a date (YYYY-MM-DD)")
    day = date.fromisoformat(value)
    if not _EARLIEST <= day <= _LATEST:
        raise ValueError(f"a date between {_EARLIEST} and {_LATEST}")
    return day


Day = Annotated[date, BeforeValidator(_day)]


class DashboardQuery(BaseModel):
    """The filters: received between two UTC days (both included), one factory, one category."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)  # ?lang=, and what links carry
    start: Day | None = Field(default=None, alias="from")
    end: Day | None = Field(default=None, alias="to")
    factory: PlainId | None = None
    category: Category | None = None

    @model_validator(mode="after")
    def _in_order(self) -> DashboardQuery:
        if self.start and self.end and self.end < self.start:
            raise ValueError("the end date is before the start date")
        return self

    @property
    def since(self) -> datetime | None:
        return datetime.combine(self.start, time(), UTC) if self.start else None

    @property
    def until(self) -> datetime | None:
        return datetime.combine(self.end + timedelta(days=1), time(), UTC) if self.end else None

    def params(self) -> dict[str, str]:
        """The filters as query parameters, for the CSV link and the file's name."""
        given = {"from": self.start, "to": self.end, "factory": self.factory, "category": self.category}
        return {k: str(v) for k, v in given.items() if v is not None}


@dataclass(frozen=True)
class SignedIn:
    session: Session
    principal: Principal


class BadFilters(Exception):
    """The filters cannot be read; the sentence says why, in the visitor's language."""


def setup_dashboard(app: web.Application) -> None:
    """The dashboard's routes, and the page kit unless the NGO console set it up already (set it up
    before this). The dashboard's pages say their words from their own catalogue, so the app's,
    the console's, is left as it is: two catalogues may word one key apart."""
    if TEMPLATES not in app:
        setup_pages(app, "services.escalation", Catalog({}))
    app.router.add_get("/console/dashboard", dashboard_page)
    app.router.add_get("/console/dashboard.csv", dashboard_csv)


async def signed_in(request: web.Request) -> SignedIn | None:
    """The NGO's live session and who it speaks for, or None (also once its token stopped working)."""
    db = request.app[RUNTIME].db
    sessions = SessionStore(db, CookiePolicy(COOKIE, LIFETIME, secure=True))
    session = await sessions.find(request, KIND, datetime.now(UTC))
    if session is None:
        return None
    principal = await live_principal(db, str(session.data.get("token_id")))
    if principal is None or principal.role not in ("ngo", "admin"):
        await sessions.end(session)
        return None
    return SignedIn(session, principal)


def _texts(request: web.Request) -> Texts:
    language = page_language(request)

    def t(key: str, **values: Any) -> str:
        return CATALOG_OF_DASHBOARD.text(language, key, **values)

    return t


def _filters(request: web.Request) -> DashboardQuery:
    if len(set(request.query.keys())) != len(request.query):
        raise BadFilters(_texts(request)("error.repeated"))
    raw = {k: v for k, v in request.query.items() if v}  # the form sends "Any" as an empty value
    try:
        return DashboardQuery.model_validate(raw)
    except ValidationError as exc:
        language, t = page_language(request), _texts(request)
        if any(error["type"] == "value_error" and not error["loc"] for error in exc.errors()):
            raise BadFilters(t("error.period")) from None
        detail = summary(plain_errors(exc, DashboardQuery, language), language)
        raise BadFilters(t("error.invalid", detail=detail)) from None


def _scope(principal: Principal, factory: str | None) -> list[str] | None:
    """The factories the figures may count: ``None`` for all, else a list (empty: none in scope)."""
    if factory is not None:
        return [factory] if principal.sees_factory(factory) else []
    return None if principal.factories is None else list(principal.factories)


async def released_figures(request: web.Request, principal: Principal, query: DashboardQuery) -> Released:
    """The statistics of the selection, through the k-rule."""
    runtime = request.app[RUNTIME]
    factories = _scope(principal, query.factory)
    table = stats.compute([], runtime.clock())
    if factories != []:
        scope = stats_store.StatsScope(until=query.until, category=query.category)
        table = await stats_store.figures(runtime.db, factories, query.since, runtime.clock(), scope)
    return release(table, runtime.settings.dashboard_min_cohort)


async def dashboard_page(request: web.Request) -> web.StreamResponse:
    signed = await signed_in(request)
    if signed is None:
        return _see_other(SIGN_IN)
    t = _texts(request)
    chrome = {"t": t, "csrf": signed.session.csrf}
    try:
        query = _filters(request)
    except BadFilters as bad:
        return await render(request, "dashboard_refused.html", {**chrome, "reason": str(bad)}, status=400)
    released = await released_figures(request, signed.principal, query)
    mine = None if signed.principal.factories is None else list(signed.principal.factories)
    k = released.k
    context = {
        **chrome,
        "query": query,
        "k": k,
        "period": _period(query, t),
        "total": [(name, says(name, f, k, t), f.suppressed) for name, f in released.total.figures()],
        "factories": lines(released.factories, k, t),
        "groups": lines(released.groups, k, t),
        "charts": charts(released, t),
        "figures": FIGURES,
        "factory_choices": await stats_store.stats_factories(request.app[RUNTIME].db, mine),
        "categories": CATEGORIES,
        "csv_url": "/console/dashboard.csv?" + urlencode({**query.params(), "lang": page_language(request)}),
    }
    return await render(request, "dashboard.html", context)


async def dashboard_csv(request: web.Request) -> web.StreamResponse:
    signed = await signed_in(request)
    if signed is None:
        return _see_other(SIGN_IN)
    try:
        query = _filters(request)
    except BadFilters as bad:
        raise Problem(400, "Bad Request", str(bad)) from None
    released = await released_figures(request, signed.principal, query)
    t = _texts(request)
    name = "-".join(["grievance-dashboard", *query.params().values()]) + ".csv"
    return web.Response(
        body=csv_bytes(released, t, factory_name(t)),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def _period(query: DashboardQuery, t: Texts) -> str:
    if query.start and query.end:
        return t("period.between", start=query.start, end=query.end)
    if query.start:
        return t("period.from", start=query.start)
    if query.end:
        return t("period.to", end=query.end)
    return t("period.all")


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
