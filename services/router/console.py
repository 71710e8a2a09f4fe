"""The committee console: the committee's cases in the browser, on the router's port (``/console/``).

A committee signs in with its committee token (the one the API takes), exchanged once for a
server-side session (:mod:`shared.sessions`): the token never sits in the browser, and revoking it
(or retiring the committee) ends every session it opened, because each request checks the token
is still live. ``docs/router.md`` says why tokens rather than members' passwords for now.

Every action calls the committee desk (:mod:`services.router.desk`), the very operations of the
API, and every page is built from the API's allow-listed view, so the console can show nothing the
API would not. Another committee's case is the same 404 as an unknown reference. Every form carries
the session's CSRF token; a successful action answers 303 to the case page (a reload repeats
nothing), a refused one shows the page again with the reason in plain words. The domain errors
become sentences here, once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar, get_args
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.router import actions
from services.router.api import (
    IDEMPOTENCY_KEY,
    REFERENCE,
    MessageBody,
    RecategoriseBody,
    RecuseBody,
    ResolveBody,
)
from services.router.appkeys import CONSOLE_SESSIONS, DESK, RATES, SIGN_IN_LIMIT, TOKENS_DB
from services.router.case import ACK_PENDING, RESOLUTION_PENDING, Case
from services.router.case_store import InboxFilter
from services.router.console_format import local_time, time_left, zone, zone_label
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
from shared.auth import authenticate, live_token_ids
from shared.contracts import Category, Severity
from shared.messaging import PublishError
from shared.pages import CATALOG, page_language, render, setup_pages
from shared.sessions import CookiePolicy, CsrfRefused, Session
from shared.settings import Settings
from shared.validation import plain_errors, summary
from shared.web import Problem, read_form

log = structlog.get_logger("router.console")

KIND = "committee"
VISITOR = "visitor"  # a browser on the sign-in page: its session holds only the sign-in form's CSRF token
COOKIE = "committee_session"
LIFETIME = timedelta(hours=12)  # one long shift; the cookie and the stored session end together
PER_PAGE = 25
CATEGORIES: tuple[Category, ...] = get_args(Category)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
STATUSES = ("assigned", "acknowledged", "resolved", "reopened", "closed")
# The only places sign-in leads back to: the inbox, or one case page (never a URL from elsewhere).
NEXT = re.compile(r"^/console/(cases/[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})?$")
ACTIONS = ("acknowledge", "reply", "resolve", "recuse", "recategorise")
T = TypeVar("T")


class Refused(Exception):
    """An action the page refuses: the text key of its sentence, any detail, the HTTP status."""

    def __init__(self, key: str, status: int, detail: str = "") -> None:
        super().__init__(key)
        self.key, self.status, self.detail = key, status, detail


class InboxQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")  # ?lang= and anything a bookmark carries
    status: Literal["assigned", "acknowledged", "resolved", "reopened", "closed"] | None = None
    category: Category | None = None
    overdue: bool = False
    page: int = Field(default=1, ge=1, le=10_000)


class SignInForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=200)


def cookie_policy(settings: Settings) -> CookiePolicy:
    """``Secure`` unless told otherwise or the router is reached by plain http on loopback."""
    secure = settings.console_secure_cookies
    if secure is None:
        url = urlsplit(settings.public_status_url)
        secure = not (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1"))
    return CookiePolicy(COOKIE, LIFETIME, secure=secure)


def setup_console(app: web.Application) -> None:
    """The console's templates, texts and routes (the session store is set when the store opens)."""
    setup_pages(app, "services.router", TEXTS)
    app.router.add_get("/console", _to_inbox)
    app.router.add_get("/console/", inbox)
    app.router.add_get("/console/sign-in", sign_in_page)
    app.router.add_post("/console/sign-in", sign_in)
    app.router.add_post("/console/sign-out", sign_out)
    app.router.add_get("/console/cases/{reference}", case_page)
    app.router.add_post("/console/cases/{reference}/{action}", act)


# -- sessions ---------------------------------------------------------------------------------------


def _wall_clock() -> datetime:
    """Sessions expire by the wall clock, like tokens (and the store's TTL index), not the case clock."""
    return datetime.now(UTC)


async def _signed_in(request: web.Request) -> Session | None:
    """The committee's live session, or None (also when its token was revoked since sign-in)."""
    store = request.app[CONSOLE_SESSIONS]
    session = await store.find(request, KIND, _wall_clock())
    if session is None:
        return None
    live = await live_token_ids(request.app[TOKENS_DB], "committee", committee_id=session.subject)
    if session.data.get("token_id") not in live:
        await store.end(session)
        return None
    return session


def _to_sign_in(then: str | None = None) -> web.Response:
    """To the sign-in page; ``then`` is the case page to come back to (a notification's link)."""
    query = {"again": "1", **({"next": then} if then and NEXT.match(then) else {})}
    return _see_other("/console/sign-in?" + urlencode(query))


def _next(value: str | None) -> str:
    """Where to go after sign-in: a case page of the console, else the inbox (never another site)."""
    return value if value and NEXT.match(value) else "/console/"


async def _form(request: web.Request, session: Session) -> Mapping[str, str]:
    """The form of a POST, after its CSRF token matched the session's."""
    form = await read_form(request)
    try:
        session.check_csrf(form.get("csrf"))
    except CsrfRefused:
        raise Refused("error.csrf", 403) from None
    return form


async def _to_inbox(request: web.Request) -> web.Response:
    return _see_other("/console/")


async def sign_in_page(request: web.Request) -> web.Response:
    store, now = request.app[CONSOLE_SESSIONS], _wall_clock()
    if await _signed_in(request) is not None:
        return _see_other("/console/")
    visitor = await store.find(request, VISITOR, now)
    if visitor is None:
        # Each new visitor is a stored session: a client opening the page in a loop would fill the store.
        wait = await request.app[RATES].hit(request.app[SIGN_IN_LIMIT], request.remote or "unknown")
        if wait is not None:
            return await _too_many(request, wait)
        visitor = await store.start(VISITOR, "", now)
    notice = (
        "signout.done" if "out" in request.query else "signin.again" if "again" in request.query else None
    )
    then = _next(request.query.get("next"))
    response = await render(request, "console_sign_in.html", _visitor(visitor, notice=notice, then=then))
    store.attach(response, visitor)
    return response


async def sign_in(request: web.Request) -> web.Response:
    """Exchange a committee token for a new session (a new id: nothing chosen before sign-in survives)."""
    store, now = request.app[CONSOLE_SESSIONS], _wall_clock()
    visitor = await store.find(request, VISITOR, now)
    if visitor is None:
        return await _refused_page(request, Refused("error.csrf", 403))
    try:
        form = await _form(request, visitor)
    except Refused as refused:
        return await _refused_page(request, refused)
    then = _next(form.get("next"))
    wait = await request.app[RATES].hit(request.app[SIGN_IN_LIMIT], request.remote or "unknown")
    if wait is not None:
        return await _too_many(request, wait)
    try:
        token = SignInForm.model_validate(dict(form)).token.strip()
        principal = await authenticate(request.app[TOKENS_DB], f"Bearer {token}")
        if principal.role != "committee" or principal.committee_id is None:
            raise Problem(403, "Forbidden")
    except (ValidationError, Problem):
        log.info("console_sign_in_refused")
        context = _visitor(visitor, error=True, then=then)
        return await render(request, "console_sign_in.html", context, status=401)
    await store.end(visitor)
    name = await request.app[DESK].registry.committee_name(principal.committee_id)
    session = await store.start(
        KIND, principal.committee_id, now, token_id=principal.token_id, name=name or principal.committee_id
    )
    log.info("console_signed_in", committee_id=principal.committee_id)
    response = _see_other(then)
    store.attach(response, session)
    return response


async def sign_out(request: web.Request) -> web.Response:
    store = request.app[CONSOLE_SESSIONS]
    session = await _signed_in(request)
    if session is None:
        return _to_sign_in()
    try:
        await _form(request, session)
    except Refused as refused:
        return await _refused_page(request, refused)
    await store.end(session)
    response = _see_other("/console/sign-in?out=1")
    store.detach(response)
    return response


# -- pages ------------------------------------------------------------------------------------------


async def inbox(request: web.Request) -> web.Response:
    session = await _signed_in(request)
    if session is None:
        return _to_sign_in()
    desk, committee_id = request.app[DESK], session.subject
    try:
        # The filter form sends "Any" as an empty value.
        query = InboxQuery.model_validate({k: v for k, v in request.query.items() if v})
    except ValidationError as exc:
        language = page_language(request)
        detail = summary(plain_errors(exc, InboxQuery, language), language)
        return await _refused_page(request, Refused("error.invalid", 400, detail), session)
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
        **_chrome(session),
        "query": query,
        "rows": [
            _row(case, summary_view(case, desk.rounding), now, await _zone(request, case.factory_id, zones))
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
        "left": request.query.get("left") if REFERENCE.match(request.query.get("left", "")) else None,
    }
    return await render(request, "console_inbox.html", context)


def _inbox_url(filters: Mapping[str, str], page: int) -> str:
    return "/console/?" + urlencode({**filters, "page": str(page)})


def _row(case: Case, view: Mapping[str, Any], now: Any, place: ZoneInfo) -> dict[str, Any]:
    return {
        "view": view,
        "overdue": case.overdue(now),
        "received": local_time(view["received_at"], place),
        "ack_due": local_time(view["ack_due_at"], place),
        "resolve_due": local_time(view["resolve_due_at"], place),
    }


async def _zone(request: web.Request, factory_id: str | None, known: dict[str | None, ZoneInfo]) -> ZoneInfo:
    """The factory's time zone from the registry (read once per page and factory)."""
    if factory_id not in known:
        known[factory_id] = zone(await request.app[DESK].registry.timezone_of(factory_id))
    return known[factory_id]


async def case_page(request: web.Request) -> web.Response:
    session = await _signed_in(request)
    if session is None:
        return _to_sign_in(f"/console/cases/{request.match_info['reference'].upper()}")
    try:
        case = await _own_case(request, session.subject)
    except Refused as refused:
        return await _refused_page(request, refused, session)
    done = request.query.get("done")
    return await _case(request, session, case, notice=f"done.{done}" if done in _DONE else None)


async def act(request: web.Request) -> web.Response:
    session = await _signed_in(request)
    if session is None:
        return _to_sign_in()
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    try:
        form = await _form(request, session)
        case = await _own_case(request, session.subject, recused_too=action == "recuse")
    except Refused as refused:
        return await _refused_page(request, refused, session)
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
            return _see_other("/console/?" + urlencode({"left": case.reference}))
        else:
            raw = {"category": form.get("category", ""), "severity": form.get("severity") or None}
            body_g = _parse(request, RecategoriseBody, raw)
            moved = await _done(desk.recategorise(case, committee_id, body_g.category, body_g.severity))
            if moved.committee_id != committee_id:
                return _see_other("/console/?" + urlencode({"left": case.reference}))
    except Refused as refused:
        return await _case(request, session, case, refused=refused, form=form)
    return _see_other(f"/console/cases/{case.reference}?done={_DONE_OF[action]}")


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
    if REFERENCE.match(reference):
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
    language = page_language(request)
    catalog = request.app[CATALOG]

    def t(key: str, **values: Any) -> str:
        return catalog.text(language, key, **values)

    ack_left, ack_missed = time_left(view["ack_due_at"], case.status not in ACK_PENDING, now, t)
    resolve_left, resolve_missed = time_left(
        view["resolve_due_at"], case.status not in RESOLUTION_PENDING, now, t
    )
    context = {
        **_chrome(session),
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


async def _refused_page(
    request: web.Request, refused: Refused, session: Session | None = None
) -> web.Response:
    context = {**_chrome(session), "refused": refused}
    return await render(request, "console_refused.html", context, status=refused.status)


def _chrome(session: Session | None) -> dict[str, Any]:
    """What every console page shows around its content: who is signed in, the sign-out form."""
    if session is None:
        return {"committee": None, "csrf": ""}
    return {"committee": session.data.get("name") or session.subject, "csrf": session.csrf}


def _visitor(visitor: Session, **context: Any) -> dict[str, Any]:
    """The sign-in page's context: nobody signed in, the sign-in form's own CSRF token."""
    return {
        "committee": None,
        "csrf": visitor.csrf,
        "notice": None,
        "error": False,
        "then": "/console/",
        **context,
    }


async def _too_many(request: web.Request, wait: int) -> web.Response:
    response = await _refused_page(request, Refused("error.too_many", 429))
    response.headers["Retry-After"] = str(wait)
    return response


def _see_other(location: str) -> web.Response:
    """A 303 to the next page (after a POST, a reload repeats nothing); never kept by a cache."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
