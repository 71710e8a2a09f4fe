"""The NGO console's sessions: an NGO token exchanged for a session, and signing out.

The monitor pastes the NGO token (the one the NGO API takes); it is checked like a bearer token and
exchanged for a server-side session (:mod:`shared.sessions`) that keeps the token's id, never the
token. Each request looks the token up again (:func:`shared.auth.live_principal`), so revoking it
ends every session it opened and a token scoped to factories stays scoped in the browser. The
sign-in form has a CSRF token of its own (a visitor session), and signing in starts a new session,
so nothing chosen before sign-in survives it. Sign-ins are counted per client address, like the
committee console's. The page helpers every console page uses (the refusal page, the header, the
303) live here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.auth import Principal, authenticate, live_principal
from shared.pages import render
from shared.ratestore import Limit, RateStore
from shared.runtime import RUNTIME
from shared.sessions import CookiePolicy, CsrfRefused, Session, SessionStore
from shared.settings import Settings
from shared.web import Problem, read_form

log = structlog.get_logger("escalation.console")

KIND = "ngo"
VISITOR = "ngo_visitor"  # a browser on the sign-in page: its session holds only the form's CSRF token
COOKIE = "ngo_session"  # apart from the committee console's cookie: both may live on one host
LIFETIME = timedelta(hours=12)
ROLES = ("ngo", "admin")  # who the NGO API lets in
RATE_COUNTERS = "escalation_rate"
DASHBOARD = "/console/dashboard"  # the programme's figures: a page of its own, linked from every page

NGO_SESSIONS = web.AppKey("ngo_sessions", SessionStore)
NGO_RATES = web.AppKey("ngo_rates", RateStore)
SIGN_IN_LIMIT = web.AppKey("ngo_sign_in_limit", Limit)

# The only places sign-in leads back to: the list, one case page or the dashboard (never a URL from
# elsewhere).
NEXT = re.compile(r"^/console/(cases/[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}|dashboard)?$")


class Refused(Exception):
    """An action the page refuses: the text key of its sentence, any detail, the HTTP status."""

    def __init__(self, key: str, status: int, detail: str = "") -> None:
        super().__init__(key)
        self.key, self.status, self.detail = key, status, detail


class SignInForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=200)


def cookie_policy(settings: Settings) -> CookiePolicy:
    """``Secure`` unless told otherwise or the deployment is plain http on loopback (development),
    judged as for the committee console."""
    secure = settings.console_secure_cookies
    if secure is None:
        url = urlsplit(settings.public_status_url)
        secure = not (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1"))
    return CookiePolicy(COOKIE, LIFETIME, secure=secure)


def _wall_clock() -> datetime:
    """Sessions expire by the wall clock, like tokens (and the store's TTL index), not the case clock."""
    return datetime.now(UTC)


async def signed_in(request: web.Request) -> tuple[Session, Principal] | None:
    """The NGO's live session and the principal of its token now, or None (also once revoked)."""
    store = request.app[NGO_SESSIONS]
    session = await store.find(request, KIND, _wall_clock())
    if session is None:
        return None
    principal = await live_principal(request.app[RUNTIME].db, str(session.data.get("token_id")))
    if principal is None or principal.role not in ROLES:
        await store.end(session)
        return None
    return session, principal


def to_sign_in(then: str | None = None) -> web.Response:
    """To the sign-in page; ``then`` is the case page to come back to (a notification's link)."""
    query = {"again": "1", **({"next": then} if then and NEXT.match(then) else {})}
    return see_other("/console/sign-in?" + urlencode(query))


def _next(value: str | None) -> str:
    return value if value and NEXT.match(value) else "/console/"


async def checked_form(request: web.Request, session: Session) -> Mapping[str, str]:
    """The form of a POST, after its CSRF token matched the session's."""
    form = await read_form(request)
    try:
        session.check_csrf(form.get("csrf"))
    except CsrfRefused:
        raise Refused("error.csrf", 403) from None
    return form


async def to_list(request: web.Request) -> web.Response:
    return see_other("/console/")


async def sign_in_page(request: web.Request) -> web.Response:
    store, now = request.app[NGO_SESSIONS], _wall_clock()
    if await signed_in(request) is not None:
        return see_other("/console/")
    visitor = await store.find(request, VISITOR, now)
    if visitor is None:
        # Each new visitor is a stored session: a client opening the page in a loop would fill the store.
        wait = await request.app[NGO_RATES].hit(request.app[SIGN_IN_LIMIT], request.remote or "unknown")
        if wait is not None:
            return await _too_many(request, wait)
        visitor = await store.start(VISITOR, "", now)
    notice = (
        "signout.done" if "out" in request.query else "signin.again" if "again" in request.query else None
    )
    then = _next(request.query.get("next"))
    response = await render(request, "ngo_sign_in.html", _visitor(visitor, notice=notice, then=then))
    store.attach(response, visitor)
    return response


async def sign_in(request: web.Request) -> web.Response:
    """Exchange an NGO token for a new session (a new id: nothing chosen before sign-in survives)."""
    store, now = request.app[NGO_SESSIONS], _wall_clock()
    visitor = await store.find(request, VISITOR, now)
    if visitor is None:
        return await refused_page(request, Refused("error.csrf", 403))
    try:
        form = await checked_form(request, visitor)
    except Refused as refused:
        return await refused_page(request, refused)
    then = _next(form.get("next"))
    wait = await request.app[NGO_RATES].hit(request.app[SIGN_IN_LIMIT], request.remote or "unknown")
    if wait is not None:
        return await _too_many(request, wait)
    try:
        token = SignInForm.model_validate(dict(form)).token.strip()
        principal = await authenticate(request.app[RUNTIME].db, f"Bearer {token}")
        if principal.role not in ROLES:
            raise Problem(403, "Forbidden")
    except (ValidationError, Problem):
        log.info("ngo_console_sign_in_refused")
        return await render(request, "ngo_sign_in.html", _visitor(visitor, error=True, then=then), status=401)
    await store.end(visitor)
    session = await store.start(KIND, principal.token_id, now, token_id=principal.token_id)
    log.info("ngo_console_signed_in", token_id=principal.token_id)
    response = see_other(then)
    store.attach(response, session)
    return response


async def sign_out(request: web.Request) -> web.Response:
    store = request.app[NGO_SESSIONS]
    found = await signed_in(request)
    if found is None:
        return to_sign_in()
    session, _ = found
    try:
        await checked_form(request, session)
    except Refused as refused:
        return await refused_page(request, refused)
    await store.end(session)
    response = see_other("/console/sign-in?out=1")
    store.detach(response)
    return response


async def refused_page(
    request: web.Request, refused: Refused, signed: tuple[Session, Principal] | None = None
) -> web.Response:
    context = {**chrome(signed), "refused": refused}
    return await render(request, "ngo_refused.html", context, status=refused.status)


def chrome(signed: tuple[Session, Principal] | None) -> dict[str, Any]:
    """What every console page shows around its content: who is signed in, the sign-out form."""
    if signed is None:
        return {"monitor": None, "csrf": "", "dashboard": DASHBOARD}
    session, principal = signed
    scope = None if principal.factories is None else ", ".join(principal.factories)
    return {"monitor": {"scope": scope}, "csrf": session.csrf, "dashboard": DASHBOARD}


def _visitor(visitor: Session, **context: Any) -> dict[str, Any]:
    return {
        "monitor": None,
        "csrf": visitor.csrf,
        "notice": None,
        "error": False,
        "then": "/console/",
        **context,
    }


async def _too_many(request: web.Request, wait: int) -> web.Response:
    response = await refused_page(request, Refused("error.too_many", 429))
    response.headers["Retry-After"] = str(wait)
    return response


def see_other(location: str) -> web.Response:
    """A 303 to the next page (after a POST, a reload repeats nothing); never kept by a cache."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
