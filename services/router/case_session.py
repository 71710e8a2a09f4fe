"""The worker's sign-in to their case page: the reference (or case code) and the PIN, for a short session.

The PIN goes through :mod:`services.router.pin_gate`, the very path of the status API: the same
limit per client, the same lock of what was entered, the same constant-time check. A wrong PIN, an
unknown reference and a locked one answer the same page with the same words. On success the
worker gets a session of :data:`LIFETIME` (:mod:`shared.sessions`) that names the case by its id;
nothing in any URL ever carries the PIN (``?ref=`` and ``?code=`` only fill in the first field,
and a PIN put in the URL by mistake is dropped by a redirect before the page shows). The sign-in
form has its own CSRF token (a visitor session), and signing in starts a new session, so nothing
chosen before sign-in survives it. The page helpers of the case pages (the refusal page, the 303,
the header) live here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import structlog
from aiohttp import web

from services.router.appkeys import CASE_SESSIONS, CASE_VISITOR_LIMIT, RATES
from services.router.pin_gate import Entered, TooManyLookups, pin_gate
from shared.console_pages import Refused, secure_cookies, see_other, wall_clock
from shared.console_pages import checked_form as shared_checked_form
from shared.ids import case_code
from shared.pages import render
from shared.sessions import CookiePolicy, Session
from shared.settings import Settings

log = structlog.get_logger("router.case_page")

KIND = "worker"
VISITOR = "worker_visitor"  # a browser on the sign-in page: its session holds the form's CSRF token
COOKIE = "case_session"
# Short: a worker reads and answers in a few minutes, often on a phone others use too.
LIFETIME = timedelta(minutes=20)
HOME = "/case/"
VIEW = "/case/view"


def cookie_policy(settings: Settings) -> CookiePolicy:
    return CookiePolicy(COOKIE, LIFETIME, secure=secure_cookies(settings))


async def signed_in(request: web.Request) -> Session | None:
    return await request.app[CASE_SESSIONS].find(request, KIND, wall_clock())


async def checked_form(request: web.Request, session: Session) -> Mapping[str, str]:
    """The form of a POST, after its CSRF token matched the session's (the worker's words if not)."""
    return await shared_checked_form(request, session, "worker.error.csrf")


def _names(entered: str, reference: str) -> bool:
    """Whether a link's reference or code (none: any) names the signed-in case."""
    return not entered or entered in (reference, case_code(reference))


def prefilled(query: Mapping[str, str]) -> str:
    """What ``?ref=`` or ``?code=`` puts in the first field: only a well-formed reference or code."""
    entered = Entered.parse(query.get("ref", "")) or Entered.parse(query.get("code", ""))
    return entered.value if entered else ""


async def sign_in_page(request: web.Request) -> web.Response:
    if any(name.lower() == "pin" for name in request.query):
        # A PIN in a URL sits in histories and logs: drop it before anything shows the page.
        kept = {k: v for k, v in request.query.items() if k in ("ref", "code", "lang")}
        return see_other(HOME + (f"?{urlencode(kept)}" if kept else ""))
    entered = prefilled(request.query)
    current = await signed_in(request)
    store, now = request.app[CASE_SESSIONS], wall_clock()
    if current is not None:
        if _names(entered, current.data.get("reference", "")):
            return see_other(VIEW)
        # A link for another case on a phone where someone is signed in: their session ends, and
        # the form shows (the one cookie names the visitor from now on).
        await store.end(current)
    visitor = await store.find(request, VISITOR, now)
    if visitor is None:
        # Each new visitor is a stored session: a client opening the page in a loop would fill the store.
        wait = await request.app[RATES].hit(request.app[CASE_VISITOR_LIMIT], request.remote or "unknown")
        if wait is not None:
            return await too_many(request, wait)
        visitor = await store.start(VISITOR, "", now)
    notice = (
        "worker.signout.done"
        if "out" in request.query
        else "worker.signin.again"
        if "again" in request.query
        else None
    )
    context = visitor_context(visitor, notice=notice, entered=entered)
    response = await render(request, "case_sign_in.html", context)
    store.attach(response, visitor)
    return response


async def sign_in(request: web.Request) -> web.Response:
    """The reference or code and the PIN, through the status lookup's gate, for a new session."""
    visitor = await visitor_of(request)
    if visitor is None:
        return await refused_page(request, Refused("worker.error.csrf", 403))
    try:
        form = await checked_form(request, visitor)
    except Refused as refused:
        return await refused_page(request, refused)
    typed, pin = form.get("case", "")[:64], form.get("pin", "")[:32]
    try:
        opened = await pin_gate(request.app).open(request.remote or "unknown", Entered.parse(typed), pin)
    except TooManyLookups as exc:
        return await too_many(request, exc.wait)
    if opened is None or opened.case_id is None:
        log.info("case_page_sign_in_refused")
        context = visitor_context(visitor, error=True, entered=typed)
        return await render(request, "case_sign_in.html", context, status=401)
    return await open_session(request, visitor, opened.case_id, opened.reference, by="pin")


async def open_session(
    request: web.Request, visitor: Session, case_id: str, reference: str, *, by: str
) -> web.Response:
    """The visitor's session ends and the worker's begins (a PIN or a sign-in code opened the case)."""
    store, now = request.app[CASE_SESSIONS], wall_clock()
    await store.end(visitor)
    session = await store.start(KIND, case_id, now, reference=reference)
    log.info("case_page_signed_in", by=by)
    response = see_other(VIEW)
    store.attach(response, session)
    return response


async def visitor_of(request: web.Request) -> Session | None:
    """The sign-in page's visitor session of this browser, if it has one."""
    return await request.app[CASE_SESSIONS].find(request, VISITOR, wall_clock())


async def sign_out(request: web.Request) -> web.Response:
    store = request.app[CASE_SESSIONS]
    session = await signed_in(request)
    if session is None:
        return to_sign_in()
    try:
        await checked_form(request, session)
    except Refused as refused:
        return await refused_page(request, refused, session)
    await store.end(session)
    response = see_other(HOME + "?out=1")
    store.detach(response)
    return response


def to_sign_in() -> web.Response:
    return see_other(HOME + "?again=1")


async def refused_page(
    request: web.Request, refused: Refused, session: Session | None = None
) -> web.Response:
    context = {**chrome(session), "refused": refused}
    return await render(request, "case_refused.html", context, status=refused.status)


def chrome(session: Session | None) -> dict[str, Any]:
    """What every case page shows around its content: whether signed in, the sign-out form."""
    return {"signed_in": session is not None, "csrf": session.csrf if session else ""}


def visitor_context(visitor: Session, **context: Any) -> dict[str, Any]:
    """The sign-in page's context: nobody signed in, the form's own CSRF token."""
    return {
        "signed_in": False,
        "csrf": visitor.csrf,
        "notice": None,
        "error": False,
        "entered": "",
        **context,
    }


async def too_many(request: web.Request, wait: int) -> web.Response:
    response = await refused_page(request, Refused("worker.error.too_many", 429))
    response.headers["Retry-After"] = str(wait)
    return response
