"""What every page family with a sign-in shares: refusals, the 303, CSRF-checked forms, and the
token sign-in of the consoles.

The committee console (router) and the NGO console (escalation) sign in the same way: the visitor
pastes a bearer token, which is checked like one and exchanged for a server-side session
(:mod:`shared.sessions`), so the token never sits in the browser. The sign-in form has a CSRF token
of its own (a visitor session), sign-ins and new visitors are counted per client address, and
signing in starts a new session, so nothing chosen before sign-in survives it. What differs between
the two consoles (their app keys, templates, where sign-in may lead back to, whom they let in and
what the session keeps) is a :class:`TokenSignIn`; the worker's case page uses only the helpers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.auth import Principal, authenticate
from shared.bodies import read_form
from shared.pages import render
from shared.ratestore import Limit, RateStore
from shared.sessions import CsrfRefused, Session, SessionStore
from shared.settings import Settings
from shared.store import Database
from shared.web import Problem


class Refused(Exception):
    """An action the page refuses: the text key of its sentence, any detail, the HTTP status."""

    def __init__(self, key: str, status: int, detail: str = "") -> None:
        super().__init__(key)
        self.key, self.status, self.detail = key, status, detail


class SignInForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=200)


def secure_cookies(settings: Settings) -> bool:
    """``Secure`` unless told otherwise or the service is reached by plain http on loopback
    (development); every page family decides it here."""
    secure = settings.console_secure_cookies
    if secure is None:
        url = urlsplit(settings.public_status_url)
        secure = not (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1"))
    return secure


def wall_clock() -> datetime:
    """Sessions expire by the wall clock, like tokens (and the store's TTL index), not the case clock."""
    return datetime.now(UTC)


def see_other(location: str) -> web.Response:
    """A 303 to the next page (after a POST, a reload repeats nothing); never kept by a cache."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


async def checked_form(
    request: web.Request, session: Session, refusal: str = "error.csrf"
) -> Mapping[str, str]:
    """The form of a POST, after its CSRF token matched the session's (else ``refusal``, a 403)."""
    form = await read_form(request)
    try:
        session.check_csrf(form.get("csrf"))
    except CsrfRefused:
        raise Refused(refusal, 403) from None
    return form


@dataclass(frozen=True)
class Admitted:
    """Whom a token's session is for (its subject) and what else the session keeps."""

    subject: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class TokenSignIn:
    """What one console's token sign-in needs of its service: everything else is the same."""

    sessions: web.AppKey[SessionStore]
    rates: web.AppKey[RateStore]
    limit: web.AppKey[Limit]
    kind: str  # the signed-in session's kind
    visitor: str  # the sign-in page's session kind: it holds only the form's CSRF token
    template: str  # the sign-in page
    next: re.Pattern[str]  # the only places sign-in leads back to (never a URL from elsewhere)
    anonymous: Mapping[str, Any]  # the header's context when nobody is signed in
    tokens: Callable[[web.Application], Database]  # where the tokens are kept
    # The session to be opened for a token's principal, or None to refuse it.
    admit: Callable[[web.Request, Principal], Awaitable[Admitted | None]]
    # The live signed-in session of the request, or None (also once its token is revoked).
    current: Callable[[web.Request], Awaitable[Session | None]]
    refused_page: Callable[[web.Request, Refused], Awaitable[web.Response]]
    log: str  # the logger's name
    refused_event: str  # logged when a token is refused
    signed_in_event: str  # logged when a session opens, with the subject under ``subject_field``
    subject_field: str
    home: str = "/console/"

    def to_sign_in(self, then: str | None = None) -> web.Response:
        """To the sign-in page; ``then`` is the case page to come back to (a notification's link)."""
        query = {"again": "1", **({"next": then} if then and self.next.match(then) else {})}
        return see_other(self.home + "sign-in?" + urlencode(query))

    def next_page(self, value: str | None) -> str:
        """Where to go after sign-in: a page ``next`` allows, else home (never another site)."""
        return value if value and self.next.match(value) else self.home

    async def sign_in_page(self, request: web.Request) -> web.Response:
        store, now = request.app[self.sessions], wall_clock()
        if await self.current(request) is not None:
            return see_other(self.home)
        visitor = await store.find(request, self.visitor, now)
        if visitor is None:
            # Each new visitor is a stored session: a client opening the page in a loop would fill the store.
            wait = await self._hit(request)
            if wait is not None:
                return await self._too_many(request, wait)
            visitor = await store.start(self.visitor, "", now)
        notice = (
            "signout.done" if "out" in request.query else "signin.again" if "again" in request.query else None
        )
        then = self.next_page(request.query.get("next"))
        response = await render(request, self.template, self._visitor(visitor, notice=notice, then=then))
        store.attach(response, visitor)
        return response

    async def sign_in(self, request: web.Request) -> web.Response:
        """Exchange a token for a new session (a new id: nothing chosen before sign-in survives)."""
        store, now = request.app[self.sessions], wall_clock()
        log = structlog.get_logger(self.log)
        visitor = await store.find(request, self.visitor, now)
        if visitor is None:
            return await self.refused_page(request, Refused("error.csrf", 403))
        try:
            form = await checked_form(request, visitor)
        except Refused as refused:
            return await self.refused_page(request, refused)
        then = self.next_page(form.get("next"))
        wait = await self._hit(request)
        if wait is not None:
            return await self._too_many(request, wait)
        try:
            token = SignInForm.model_validate(dict(form)).token.strip()
            principal = await authenticate(self.tokens(request.app), f"Bearer {token}")
            admitted = await self.admit(request, principal)
            if admitted is None:
                raise Problem(403, "Forbidden")
        except (ValidationError, Problem):
            log.info(self.refused_event)
            context = self._visitor(visitor, error=True, then=then)
            return await render(request, self.template, context, status=401)
        await store.end(visitor)
        session = await store.start(self.kind, admitted.subject, now, **admitted.data)
        log.info(self.signed_in_event, **{self.subject_field: admitted.subject})
        response = see_other(then)
        store.attach(response, session)
        return response

    async def sign_out(self, request: web.Request) -> web.Response:
        store = request.app[self.sessions]
        session = await self.current(request)
        if session is None:
            return self.to_sign_in()
        try:
            await checked_form(request, session)
        except Refused as refused:
            return await self.refused_page(request, refused)
        await store.end(session)
        response = see_other(self.home + "sign-in?out=1")
        store.detach(response)
        return response

    async def _hit(self, request: web.Request) -> int | None:
        return await request.app[self.rates].hit(request.app[self.limit], request.remote or "unknown")

    def _visitor(self, visitor: Session, **context: Any) -> dict[str, Any]:
        """The sign-in page's context: nobody signed in, the sign-in form's own CSRF token."""
        return {
            **self.anonymous,
            "csrf": visitor.csrf,
            "notice": None,
            "error": False,
            "then": self.home,
            **context,
        }

    async def _too_many(self, request: web.Request, wait: int) -> web.Response:
        response = await self.refused_page(request, Refused("error.too_many", 429))
        response.headers["Retry-After"] = str(wait)
        return response
