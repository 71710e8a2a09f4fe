"""``/contact/``: the page where a worker enters the code that confirms the number they gave.

The code's SMS says "reply with the code or enter it on the web page"; this is that page, on the
router because the cases are the router's (intake's receipt links here, ``?ref=`` filling in the
reference; never a code or PIN in a URL). ``POST /contact/`` calls
:func:`services.router.contact.confirm_code`, the very operation of ``POST /api/v1/contact/confirm``,
so the limit, the attempts per case and the one refusal for every wrong answer are the same. There
is no session: the form's CSRF token is signed and bound to a cookie (:mod:`shared.form_tokens`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import structlog
from aiohttp import web
from multidict import MultiDict
from pydantic import ValidationError

from services.router.appkeys import CLOCK, PRIVACY_KEYS
from services.router.console_session import cookie_policy
from services.router.contact import ConfirmBody, NotConfirmable, TooManyAttempts, confirm_code
from services.router.contact_texts import TEXTS
from shared import form_tokens
from shared.bodies import read_form
from shared.form_tokens import TokenRefused
from shared.ids import is_reference
from shared.pages import CATALOG, render
from shared.runtime import RUNTIME
from shared.web import Problem

log = structlog.get_logger("router.contact_page")

COOKIE = "contact_form"
PURPOSE = "contact-confirm"


@dataclass(frozen=True)
class Fields:
    """What the worker entered, shown again with the page."""

    reference: str = ""
    code: str = ""


@dataclass(frozen=True)
class Wrong:
    """Which fields are not written as expected (each gets its sentence)."""

    reference: bool = False
    code: bool = False


class PageRefused(Exception):
    """The page is shown again: a sentence for the whole form, the fields that are wrong, the status."""

    def __init__(self, status: int, problem: str | None = None, errors: Wrong = Wrong()) -> None:
        super().__init__(problem)
        self.status, self.problem, self.errors = status, problem, errors


def setup_contact_page(app: web.Application) -> None:
    """The page's texts (beside the console's) and its routes; after the console set the pages up."""
    app[CATALOG] = app[CATALOG].merged(TEXTS)
    app.router.add_get("/contact/", contact_page)
    app.router.add_post("/contact/", submit_code)


async def contact_page(request: web.Request) -> web.Response:
    if "confirmed" in request.query:  # names no case: anyone may open this address
        return await render(request, "contact_confirm.html", {"done": True, **_empty()})
    given = request.query.get("ref", "").strip().upper()
    return await _page(request, 200, Fields(reference=given if is_reference(given) else ""))


async def submit_code(request: web.Request) -> web.Response:
    shown = Fields()

    async def read() -> ConfirmBody:
        nonlocal shown
        raw = await _read(request)
        shown = Fields(reference=raw.get("reference", "").strip(), code=raw.get("code", "").strip())
        try:
            form_tokens.check(
                request.app[PRIVACY_KEYS],
                PURPOSE,
                raw.get("token"),
                request.cookies.get(COOKIE),
                request.app[CLOCK](),
            )
        except TokenRefused:
            log.info("contact_page_token_refused")
            raise PageRefused(403, "contact_page.expired") from None
        try:
            return ConfirmBody(reference=shown.reference, code=shown.code)
        except ValidationError as exc:
            fields = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            wrong = Wrong(reference="reference" in fields, code="code" in fields)
            raise PageRefused(422, errors=wrong) from None

    try:
        reference = await confirm_code(request.app, request.remote or "unknown", read)
    except PageRefused as refused:
        return await _page(request, refused.status, shown, refused)
    except TooManyAttempts as refused:
        response = await _page(request, 429, shown, PageRefused(429, "contact_page.too_many"))
        response.headers["Retry-After"] = str(refused.wait)
        return response
    except NotConfirmable:
        return await _page(request, 404, shown, PageRefused(404, "contact_page.refused"))
    log.info("contact_page_confirmed", reference=reference)
    # To a page that says so, by GET: a reload repeats nothing (the code would now be refused).
    return web.Response(
        status=303, headers={"Location": "/contact/?confirmed=1", "Cache-Control": "no-store"}
    )


async def _read(request: web.Request) -> MultiDict[str]:
    try:
        return await read_form(request)
    except Problem as problem:
        raise PageRefused(problem.status if problem.status < 500 else 400, "contact_page.malformed") from None


def _empty() -> dict[str, Any]:
    return {"token": "", "values": asdict(Fields()), "errors": asdict(Wrong()), "problem": None}


async def _page(
    request: web.Request, status: int, values: Fields, refused: PageRefused | None = None
) -> web.Response:
    """The form, with what was entered and why it was refused, and a new token for this browser."""
    nonce = request.cookies.get(COOKIE)
    if nonce is None or not form_tokens.usable_nonce(nonce):
        nonce = form_tokens.new_nonce()
    token = form_tokens.issue(request.app[PRIVACY_KEYS], PURPOSE, nonce, request.app[CLOCK]())
    context = {
        "done": None,
        "token": token.value,
        "values": asdict(values),
        "errors": asdict(refused.errors) if refused else asdict(Wrong()),
        "problem": refused.problem if refused else None,
    }
    response = await render(request, "contact_confirm.html", context, status=status)
    response.set_cookie(
        COOKIE,
        nonce,
        max_age=int(form_tokens.LIFETIME.total_seconds()),
        httponly=True,
        secure=cookie_policy(request.app[RUNTIME].settings).secure,
        samesite="Lax",
        path="/",
    )
    return response
