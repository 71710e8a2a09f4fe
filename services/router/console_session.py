"""The committee console's sessions: a committee token exchanged for a session, and signing out.

The member pastes the committee's token (the one the API takes); it is checked like a bearer token
and exchanged for a server-side session (:mod:`shared.sessions`), so the token never sits in the
browser. Each request checks the token is still live, so revoking it (or retiring the committee)
ends every session it opened. The sign-in form has a CSRF token of its own (a visitor session), and
signing in starts a new session, so nothing chosen before sign-in survives it. ``docs/router.md``
says why tokens rather than members' passwords for now. The page helpers every console page uses
(the refusal page, the header, the 303) live here too.
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

from services.router.appkeys import CONSOLE_SESSIONS, DESK, RATES, SIGN_IN_LIMIT, TOKENS_DB
from shared.auth import authenticate, live_token_ids
from shared.pages import render
from shared.sessions import CookiePolicy, CsrfRefused, Session
from shared.settings import Settings
from shared.web import Problem, read_form

log = structlog.get_logger("router.console")

KIND = "committee"
VISITOR = "visitor"  # a browser on the sign-in page: its session holds only the sign-in form's CSRF token
COOKIE = "committee_session"
LIFETIME = timedelta(hours=12)  # one long shift; the cookie and the stored session end together

# The only places sign-in leads back to: the inbox, or one case page (never a URL from elsewhere).
NEXT = re.compile(r"^/console/(cases/[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})?$")


class Refused(Exception):
    """An action the page refuses: the text key of its sentence, any detail, the HTTP status."""

    def __init__(self, key: str, status: int, detail: str = "") -> None:
        super().__init__(key)
        self.key, self.status, self.detail = key, status, detail


class SignInForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=200)


def secure_cookies(settings: Settings) -> bool:
    """``Secure`` unless told otherwise or the router is reached by plain http on loopback (every
    page family of the router decides it here)."""
    secure = settings.console_secure_cookies
    if secure is None:
        url = urlsplit(settings.public_status_url)
        secure = not (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1"))
    return secure


def cookie_policy(settings: Settings) -> CookiePolicy:
    return CookiePolicy(COOKIE, LIFETIME, secure=secure_cookies(settings))


def _wall_clock() -> datetime:
    """Sessions expire by the wall clock, like tokens (and the store's TTL index), not the case clock."""
    return datetime.now(UTC)


async def signed_in(request: web.Request) -> Session | None:
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


def to_sign_in(then: str | None = None) -> web.Response:
    """To the sign-in page; ``then`` is the case page to come back to (a notification's link)."""
    query = {"again": "1", **({"next": then} if then and NEXT.match(then) else {})}
    return see_other("/console/sign-in?" + urlencode(query))


def _next(value: str | None) -> str:
    """Where to go after sign-in: a case page of the console, else the inbox (never another site)."""
    return value if value and NEXT.match(value) else "/console/"


async def checked_form(request: web.Request, session: Session) -> Mapping[str, str]:
    """The form of a POST, after its CSRF token matched the session's."""
    form = await read_form(request)
    try:
        session.check_csrf(form.get("csrf"))
    except CsrfRefused:
        raise Refused("error.csrf", 403) from None
    return form


async def to_inbox(request: web.Request) -> web.Response:
    return see_other("/console/")


async def sign_in_page(request: web.Request) -> web.Response:
    store, now = request.app[CONSOLE_SESSIONS], _wall_clock()
    if await signed_in(request) is not None:
        return see_other("/console/")
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
        return await refused_page(request, Refused("error.csrf", 403))
    try:
        form = await checked_form(request, visitor)
    except Refused as refused:
        return await refused_page(request, refused)
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
    response = see_other(then)
    store.attach(response, session)
    return response


async def sign_out(request: web.Request) -> web.Response:
    store = request.app[CONSOLE_SESSIONS]
    session = await signed_in(request)
    if session is None:
        return to_sign_in()
    try:
        await checked_form(request, session)
    except Refused as refused:
        return await refused_page(request, refused)
    await store.end(session)
    response = see_other("/console/sign-in?out=1")
    store.detach(response)
    return response


async def refused_page(
    request: web.Request, refused: Refused, session: Session | None = None
) -> web.Response:
    context = {**chrome(session), "refused": refused}
    return await render(request, "console_refused.html", context, status=refused.status)


def chrome(session: Session | None) -> dict[str, Any]:
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
    response = await refused_page(request, Refused("error.too_many", 429))
    response.headers["Retry-After"] = str(wait)
    return response


def see_other(location: str) -> web.Response:
    """A 303 to the next page (after a POST, a reload repeats nothing); never kept by a cache."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
