"""The committee console's sessions: a committee token exchanged for a session, and signing out.

The member pastes the committee's token (the one the API takes); it is exchanged for a server-side
session by the consoles' shared sign-in (:mod:`shared.console_pages`), so the token never sits in
the browser. Each request checks the token is still live, so revoking it (or retiring the committee)
ends every session it opened. ``docs/router.md`` says why tokens rather than members' passwords for
now. The page helpers every console page uses (the refusal page, the header, the 303) live here too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp import web

from services.router.appkeys import CONSOLE_SESSIONS, DESK, RATES, SIGN_IN_LIMIT, TOKENS_DB
from shared.auth import Principal, live_token_ids
from shared.console_pages import (
    Admitted,
    Refused,
    TokenSignIn,
    checked_form,
    secure_cookies,
    see_other,
    wall_clock,
)
from shared.pages import render
from shared.sessions import CookiePolicy, Session
from shared.settings import Settings

__all__ = [
    "Refused",
    "checked_form",
    "chrome",
    "cookie_policy",
    "refused_page",
    "secure_cookies",
    "see_other",
    "sign_in",
    "sign_in_page",
    "sign_out",
    "signed_in",
    "to_inbox",
    "to_sign_in",
]

KIND = "committee"
VISITOR = "visitor"  # a browser on the sign-in page: its session holds only the sign-in form's CSRF token
COOKIE = "committee_session"
LIFETIME = timedelta(hours=12)  # one long shift; the cookie and the stored session end together

# The only places sign-in leads back to: the inbox, or one case page (never a URL from elsewhere).
NEXT = re.compile(r"^/console/(cases/[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})?$")


def cookie_policy(settings: Settings) -> CookiePolicy:
    return CookiePolicy(COOKIE, LIFETIME, secure=secure_cookies(settings))


async def signed_in(request: web.Request) -> Session | None:
    """The committee's live session, or None (also when its token was revoked since sign-in)."""
    store = request.app[CONSOLE_SESSIONS]
    session = await store.find(request, KIND, wall_clock())
    if session is None:
        return None
    live = await live_token_ids(request.app[TOKENS_DB], "committee", committee_id=session.subject)
    if session.data.get("token_id") not in live:
        await store.end(session)
        return None
    return session


async def _admit(request: web.Request, principal: Principal) -> Admitted | None:
    """A committee's token only; the session keeps the token's id and the committee's name."""
    if principal.role != "committee" or principal.committee_id is None:
        return None
    name = await request.app[DESK].registry.committee_name(principal.committee_id)
    return Admitted(
        principal.committee_id, {"token_id": principal.token_id, "name": name or principal.committee_id}
    )


async def to_inbox(request: web.Request) -> web.Response:
    return see_other("/console/")


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


SIGN_IN = TokenSignIn(
    sessions=CONSOLE_SESSIONS,
    rates=RATES,
    limit=SIGN_IN_LIMIT,
    kind=KIND,
    visitor=VISITOR,
    template="console_sign_in.html",
    next=NEXT,
    anonymous={"committee": None},
    tokens=lambda app: app[TOKENS_DB],
    admit=_admit,
    current=signed_in,
    refused_page=refused_page,
    log="router.console",
    refused_event="console_sign_in_refused",
    signed_in_event="console_signed_in",
    subject_field="committee_id",
)
to_sign_in = SIGN_IN.to_sign_in
sign_in_page = SIGN_IN.sign_in_page
sign_in = SIGN_IN.sign_in
sign_out = SIGN_IN.sign_out
