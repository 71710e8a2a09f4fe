"""The NGO console's sessions: an NGO token exchanged for a session, and signing out.

The monitor pastes the NGO token (the one the NGO API takes); it is exchanged for a server-side
session by the consoles' shared sign-in (:mod:`shared.console_pages`) that keeps the token's id,
never the token. Each request looks the token up again (:func:`shared.auth.live_principal`), so
revoking it ends every session it opened and a token scoped to factories stays scoped in the
browser. Sign-ins are counted per client address, like the committee console's. The page helpers
every console page uses (the refusal page, the header, the 303) live here too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp import web

from shared.auth import Principal, live_principal
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
from shared.ratestore import Limit, RateStore
from shared.runtime import RUNTIME
from shared.sessions import CookiePolicy, Session, SessionStore
from shared.settings import Settings

__all__ = [
    "NGO_RATES",
    "NGO_SESSIONS",
    "RATE_COUNTERS",
    "SIGN_IN_LIMIT",
    "Refused",
    "checked_form",
    "chrome",
    "cookie_policy",
    "refused_page",
    "see_other",
    "sign_in",
    "sign_in_page",
    "sign_out",
    "signed_in",
    "to_list",
    "to_sign_in",
]

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


def cookie_policy(settings: Settings) -> CookiePolicy:
    """``Secure`` as for the committee console (:func:`shared.console_pages.secure_cookies`)."""
    return CookiePolicy(COOKIE, LIFETIME, secure=secure_cookies(settings))


async def signed_in(request: web.Request) -> tuple[Session, Principal] | None:
    """The NGO's live session and the principal of its token now, or None (also once revoked)."""
    store = request.app[NGO_SESSIONS]
    session = await store.find(request, KIND, wall_clock())
    if session is None:
        return None
    principal = await live_principal(request.app[RUNTIME].db, str(session.data.get("token_id")))
    if principal is None or principal.role not in ROLES:
        await store.end(session)
        return None
    return session, principal


async def _session(request: web.Request) -> Session | None:
    found = await signed_in(request)
    return None if found is None else found[0]


async def _admit(request: web.Request, principal: Principal) -> Admitted | None:
    """A token the NGO API takes; the session is named by, and keeps, the token's id."""
    if principal.role not in ROLES:
        return None
    return Admitted(principal.token_id, {"token_id": principal.token_id})


async def to_list(request: web.Request) -> web.Response:
    return see_other("/console/")


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


SIGN_IN = TokenSignIn(
    sessions=NGO_SESSIONS,
    rates=NGO_RATES,
    limit=SIGN_IN_LIMIT,
    kind=KIND,
    visitor=VISITOR,
    template="ngo_sign_in.html",
    next=NEXT,
    anonymous={"monitor": None},
    tokens=lambda app: app[RUNTIME].db,
    admit=_admit,
    current=_session,
    refused_page=refused_page,
    log="escalation.console",
    refused_event="ngo_console_sign_in_refused",
    signed_in_event="ngo_console_signed_in",
    subject_field="token_id",
)
to_sign_in = SIGN_IN.to_sign_in
sign_in_page = SIGN_IN.sign_in_page
sign_in = SIGN_IN.sign_in
sign_out = SIGN_IN.sign_out
