"""The committee console: the committee's cases in the browser, on the router's port (``/console/``).

A committee signs in with its committee token for a session (:mod:`services.router.console_session`).

Every action calls the committee desk (:mod:`services.router.desk`), the very operations of the
API, and every page is built from the API's allow-listed view, so the console can show nothing the
API would not. Another committee's case is the same 404 as an unknown reference. Every form carries
the session's CSRF token; a successful action answers 303 to the case page (a reload repeats
nothing), a refused one shows the page again with the reason in plain words. The domain errors
become sentences here, once.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Mapping
from typing import Any, Literal, TypeVar, get_args
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.router import actions
from services.router.api import (
    IDEMPOTENCY_KEY,
    MessageBody,
    RecategoriseBody,
    RecuseBody,
    ResolveBody,
)
from services.router.appkeys import DESK
from services.router.case import ACK_PENDING, RESOLUTION_PENDING, Case
from services.router.case_store import InboxFilter
from services.router.console_format import Texts, local_time, time_left, zone, zone_label
from services.router.console_session import (
    Refused,
    checked_form,
    chrome,
    refused_page,
    see_other,
    sign_in,
    sign_in_page,
    sign_out,
    signed_in,
    to_inbox,
    to_sign_in,
)
from services.router.console_texts import TEXTS
from services.router.errors import (
    CaseClosed,
    CaseNotFound,
    ChangedConcurrently,
    Conflict,
    NotYourCase,
    WorkerUnreachable,
)
from services.router.views import summary_view
from shared.contracts import Category, Severity
from shared.ids import is_reference
from shared.messaging import PublishError
from shared.pages import CATALOG, page_language, render, setup_pages
from shared.sessions import Session
from shared.validation import plain_errors, summary

PER_PAGE = 25
CATEGORIES: tuple[Category, ...] = get_args(Category)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
STATUSES = ("assigned", "acknowledged", "resolved", "reopened", "closed")
ACTIONS = ("acknowledge", "reply", "resolve", "recuse", "recategorise")
T = TypeVar("T")


class InboxQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")  # ?lang= and anything a bookmark carries
    status: Literal["assigned", "acknowledged", "resolved", "reopened", "closed"] | None = None
    category: Category | None = None
    overdue: bool = False
    page: int = Field(default=1, ge=1, le=10_000)


def setup_console(app: web.Application) -> None:
    """The console's templates, texts and routes (the session store is set when the store opens)."""
    setup_pages(app, "services.router", TEXTS)
    app.router.add_get("/console", to_inbox)
    app.router.add_get("/console/", inbox)
    app.router.add_get("/console/sign-in", sign_in_page)
    app.router.add_post("/console/sign-in", sign_in)
    app.router.add_post("/console/sign-out", sign_out)
    app.router.add_get("/console/cases/{reference}", case_page)
    app.router.add_post("/console/cases/{reference}/{action}", act)
    # A refused action's page has the action's URL: its language link comes back here by GET.
    app.router.add_get("/console/cases/{reference}/{action}", _back_to_case)


# -- pages ------------------------------------------------------------------------------------------


async def inbox(request: web.Request) -> web.Response:
    session = await signed_in(request)
    if session is None:
        return to_sign_in()
    desk, committee_id = request.app[DESK], session.subject
    try:
        # The filter form sends "Any" as an empty value.
        query = InboxQuery.model_validate({k: v for k, v in request.query.items() if v})
    except ValidationError as exc:
        language = page_language(request)
        detail = summary(plain_errors(exc, InboxQuery, language), language)
        return await refused_page(request, Refused("error.invalid", 400, detail), session)
    now = desk.now()
    chosen = InboxFilter(query.status, query.category, query.overdue)
    zones: dict[str | None, ZoneInfo] = {}
    cases, total = await desk.cases.committee_inbox(
        committee_id, chosen, now, (query.page - 1) * PER_PAGE, PER_PAGE
    )
    counts = await desk.cases.committee_counts(committee_id, now)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    filters: dict[str, str] = {k: v for k, v in (("status", query.status), ("category", query.category)) if v}
    if query.overdue:
        filters["overdue"] = "true"
    context = {
        **chrome(session),
        "query": query,
        "rows": [
            _row(
                case,
                summary_view(case, desk.rounding),
                now,
                await _zone(request, case.factory_id, zones),
                _texts(request),
            )
            for case in cases
        ],
        "total": total,
        "counts": counts,
        "statuses": STATUSES,
        "categories": CATEGORIES,
        "page": query.page,
        "pages": pages,
        "previous_url": _inbox_url(filters, query.page - 1) if query.page > 1 else None,
        "next_url": _inbox_url(filters, query.page + 1) if query.page < pages else None,
        "zone": zone_label(next(iter(zones.values()), zone(None)), page_language(request), now),
        "left": request.query.get("left") if is_reference(request.query.get("left", "")) else None,
    }
    return await render(request, "console_inbox.html", context)


def _inbox_url(filters: Mapping[str, str], page: int) -> str:
    return "/console/?" + urlencode({**filters, "page": str(page)})


def _row(case: Case, view: Mapping[str, Any], now: Any, place: ZoneInfo, t: Texts) -> dict[str, Any]:
    """One inbox line; ``next_due`` is the time left for the step the case waits for, if any."""
    waits_for = (
        "ack_due_at"
        if case.status in ACK_PENDING
        else "resolve_due_at"
        if case.status in RESOLUTION_PENDING
        else None
    )
    return {
        "view": view,
        "overdue": case.overdue(now),
        "received": local_time(view["received_at"], place),
        "ack_due": local_time(view["ack_due_at"], place),
        "resolve_due": local_time(view["resolve_due_at"], place),
        "next_due": time_left(view[waits_for], False, now, t)[0] if waits_for else None,
    }


def _texts(request: web.Request) -> Texts:
    """The page's texts in the visitor's language, for what the view code words itself."""
    language, catalog = page_language(request), request.app[CATALOG]

    def t(key: str, **values: Any) -> str:
        return catalog.text(language, key, **values)

    return t


async def _zone(request: web.Request, factory_id: str | None, known: dict[str | None, ZoneInfo]) -> ZoneInfo:
    """The factory's time zone from the registry (read once per page and factory)."""
    if factory_id not in known:
        known[factory_id] = zone(await request.app[DESK].registry.timezone_of(factory_id))
    return known[factory_id]


async def case_page(request: web.Request) -> web.Response:
    session = await signed_in(request)
    if session is None:
        return to_sign_in(f"/console/cases/{request.match_info['reference'].upper()}")
    try:
        case = await _own_case(request, session.subject)
    except Refused as refused:
        return await refused_page(request, refused, session)
    done = request.query.get("done")
    return await _case(request, session, case, notice=f"done.{done}" if done in _DONE else None)


async def _back_to_case(request: web.Request) -> web.Response:
    reference = request.match_info["reference"].upper()
    if not is_reference(reference):
        raise web.HTTPNotFound()
    query = {k: v for k, v in request.query.items() if k == "lang" and v in ("zh", "en")}
    return see_other(f"/console/cases/{reference}" + (f"?{urlencode(query)}" if query else ""))


async def act(request: web.Request) -> web.Response:
    session = await signed_in(request)
    if session is None:
        return to_sign_in()
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    try:
        form = await checked_form(request, session)
        case = await _own_case(request, session.subject, recused_too=action == "recuse")
    except Refused as refused:
        return await refused_page(request, refused, session)
    committee_id, desk = session.subject, request.app[DESK]
    try:
        if action == "acknowledge":
            await _done(desk.acknowledge(case, committee_id))
        elif action == "reply":
            body = _parse(request, MessageBody, {"text": form.get("text", "")})
            key = form.get("message_id", "")
            if not IDEMPOTENCY_KEY.match(key):
                raise Refused("error.csrf", 403)
            message = actions.message_id(case.case_id, key)
            await _done(desk.reply(case, committee_id, body.text, message=message))
        elif action == "resolve":
            body_r = _parse(request, ResolveBody, {"resolution": form.get("resolution", "")})
            await _done(desk.resolve(case, committee_id, body_r.resolution))
        elif action == "recuse":
            body_c = _parse(request, RecuseBody, {"reason": form.get("reason", "")})
            await _done(desk.recuse(case, committee_id, body_c.reason))
            return see_other("/console/?" + urlencode({"left": case.reference}))
        else:
            raw = {"category": form.get("category", ""), "severity": form.get("severity") or None}
            body_g = _parse(request, RecategoriseBody, raw)
            moved = await _done(desk.recategorise(case, committee_id, body_g.category, body_g.severity))
            if moved.committee_id != committee_id:
                return see_other("/console/?" + urlencode({"left": case.reference}))
    except Refused as refused:
        return await _case(request, session, case, refused=refused, form=form)
    return see_other(f"/console/cases/{case.reference}?done={_DONE_OF[action]}")


_DONE_OF = {
    "acknowledge": "acknowledged",
    "reply": "replied",
    "resolve": "resolved",
    "recategorise": "recategorised",
}
_DONE = frozenset(_DONE_OF.values())


async def _done(action: Awaitable[T]) -> T:
    """Run a desk operation; its domain errors as the sentences the page shows."""
    try:
        return await action
    except PublishError:
        raise Refused("error.unavailable", 503) from None
    except (NotYourCase, CaseNotFound):
        raise Refused("error.not_found", 404) from None
    except CaseClosed:
        raise Refused("error.closed", 409) from None
    except WorkerUnreachable as exc:
        raise Refused(f"error.{exc.contact}", 409) from None
    except Conflict:
        raise Refused("error.conflict", 409) from None
    except ChangedConcurrently:
        raise Refused("error.changed", 409) from None


def _parse(request: web.Request, model: type[Any], raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        language = page_language(request)
        raise Refused("error.invalid", 422, summary(plain_errors(exc, model, language), language)) from None


async def _own_case(request: web.Request, committee_id: str, *, recused_too: bool = False) -> Case:
    reference = request.match_info["reference"].upper()
    found = None
    if is_reference(reference):
        found = await request.app[DESK].own_case(reference, committee_id, recused_too=recused_too)
    if found is None:
        raise Refused("error.not_found", 404)
    return found


async def _case(
    request: web.Request,
    session: Session,
    case: Case,
    *,
    notice: str | None = None,
    refused: Refused | None = None,
    form: Mapping[str, str] | None = None,
) -> web.Response:
    desk = request.app[DESK]
    view, now = await desk.view(case), desk.now()
    place = await _zone(request, case.factory_id, {})
    language, t = page_language(request), _texts(request)
    ack_left, ack_missed = time_left(view["ack_due_at"], case.status not in ACK_PENDING, now, t)
    resolve_left, resolve_missed = time_left(
        view["resolve_due_at"], case.status not in RESOLUTION_PENDING, now, t
    )
    context = {
        **chrome(session),
        "case": view,
        "held": case.committee_id == session.subject,
        "local": lambda value: local_time(value, place),
        "ack_left": ack_left,
        "ack_missed": ack_missed,
        "resolve_left": resolve_left,
        "resolve_missed": resolve_missed,
        "zone": zone_label(place, language, now),
        "notice": notice,
        "refused": refused,
        "form": form or {},
        "message_id": secrets.token_hex(16),
        "categories": CATEGORIES,
        "severities": SEVERITIES,
    }
    return await render(request, "console_case.html", context, status=refused.status if refused else 200)
