"""``POST /case/code`` and ``POST /case/code/sign-in``: a worker without a PIN signs in with a one-time code.

An SMS or WeChat worker has no PIN, only the reference or the case code their texts carry. They
ask for a code: every candidate case of what they entered (as for a PIN,
:meth:`services.router.pin_gate.PinGate.candidates`) whose contact the channel proved is sent a
fresh six-digit code (:mod:`services.router.sign_in_code_store`) as a ``message.outbound`` of purpose
``sign_in_code``, which intake delivers like any message to the worker. The answer is the same page
whether or not a case matched, a code went out, or a limit held it back, so it tells nobody which
references exist. The worker types the code on that page; it goes through the gate as a PIN does
(:meth:`~services.router.pin_gate.PinGate.check_code`) and opens the same short session.

Limits: per client address :data:`CLIENT_LIMIT` requests (:mod:`shared.ratestore`); per case one
code a minute and five a day. A worker who sent STOP is sent nothing. The code is never logged: the
log lines name the case, never the code or the contact.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

import structlog
from aiohttp import web

from services.router.appkeys import CASES, CLOCK, CODE_REQUEST_LIMIT, RATES, SIGN_IN_CODES, WORKERS
from services.router.case_session import (
    HOME,
    checked_form,
    open_session,
    refused_page,
    too_many,
    visitor_context,
    visitor_of,
)
from services.router.code_sign_in_texts import TEXTS
from services.router.pin_gate import Entered, TooManyLookups, pin_gate
from services.router.sign_in_code_store import PER_DAY
from shared.console_pages import Refused, see_other
from shared.messaging import PublishError
from shared.pages import add_texts, render
from shared.ratestore import Limit
from shared.runtime import RUNTIME
from shared.store import to_ms

log = structlog.get_logger("router.case_page")

REQUEST = "/case/code"
ENTER = "/case/code/sign-in"
# Each request may text up to a few workers: fewer per client than lookups.
CLIENT_LIMIT = Limit("sign_in_code_client", 10, timedelta(hours=1))
PAGE = "case_code.html"


def add_routes(app: web.Application) -> None:
    add_texts(app, TEXTS)
    app[CODE_REQUEST_LIMIT] = CLIENT_LIMIT
    app.router.add_post(REQUEST, request_code)
    app.router.add_post(ENTER, enter_code)
    for path in (REQUEST, ENTER):
        # The page's language link comes back by GET: to the sign-in page, with what was entered.
        app.router.add_get(path, _back)


async def _back(request: web.Request) -> web.Response:
    query = {k: v for k, v in request.query.items() if k == "lang" and v in ("zh", "en")}
    return see_other(HOME + (f"?{urlencode(query)}" if query else ""))


async def request_code(request: web.Request) -> web.Response:
    """Send a code to each candidate case's proven contact; the one answer page whatever happened."""
    visitor = await visitor_of(request)
    if visitor is None:
        return await refused_page(request, Refused("worker.error.csrf", 403))
    try:
        form = await checked_form(request, visitor)
    except Refused as refused:
        return await refused_page(request, refused)
    app = request.app
    wait = await app[RATES].hit(app[CODE_REQUEST_LIMIT], request.remote or "unknown")
    if wait is not None:
        return await too_many(request, wait)
    entered = Entered.parse(form.get("case", "")[:64])
    if entered is not None:
        for facts in await pin_gate(app).candidates(entered):
            if facts.case_id is not None and not await _send(app, facts.case_id):
                return await refused_page(request, Refused("worker.code.unsent", 503))
    context = visitor_context(visitor, entered=entered.value if entered else "", error=False)
    return await render(request, PAGE, context)


async def _send(app: web.Application, case_id: str) -> bool:
    """A new code to the case's proven contact, within the case's limits (else nothing); False when
    the code could not be handed on, so the page does not say it was sent."""
    case = await app[CASES].by_id(case_id)
    if case is None or not case.proven or not case.sealed_contact:
        return True
    if not await app[WORKERS].reaches(case.reporter_key):
        return True
    codes, now = app[SIGN_IN_CODES], to_ms(app[CLOCK]())
    if await codes.too_soon(case_id, now):
        log.info("sign_in_code_held", case_id=case_id, why="too_soon")
        return True
    if await app[RATES].hit(PER_DAY, case_id) is not None:
        log.info("sign_in_code_held", case_id=case_id, why="per_day")
        return True
    code = await codes.issue(case_id, now)  # None: another request sent one meanwhile
    if code is None:
        log.info("sign_in_code_held", case_id=case_id, why="too_soon")
        return True
    message = case.sign_in_code(code, secrets.token_hex(16), now)
    if message is None:
        return True
    try:
        await app[RUNTIME].bus.publish(message)
    except PublishError:
        # Not "a code was sent": that would be untrue. The minute's hold stands, so it says when to ask again.
        log.warning("sign_in_code_unsent", case_id=case_id)
        return False
    log.info("sign_in_code_sent", case_id=case_id, channel=case.channel)
    return True


async def enter_code(request: web.Request) -> web.Response:
    """The code, through the gate as a PIN goes, for the same short session a PIN opens."""
    visitor = await visitor_of(request)
    if visitor is None:
        return await refused_page(request, Refused("worker.error.csrf", 403))
    try:
        form = await checked_form(request, visitor)
    except Refused as refused:
        return await refused_page(request, refused)
    typed, code = form.get("case", "")[:64], form.get("code", "")[:32]
    entered = Entered.parse(typed)
    gate = pin_gate(request.app)
    try:
        await gate.admit(request.remote or "unknown")
    except TooManyLookups as exc:
        return await too_many(request, exc.wait)
    opened = await gate.check_code(entered, code)
    if opened is None or opened.case_id is None:
        log.info("case_page_sign_in_refused", by="code")
        context = visitor_context(visitor, entered=entered.value if entered else "", error=True)
        return await render(request, PAGE, context, status=401)
    return await open_session(request, visitor, opened.case_id, opened.reference, by="code")
