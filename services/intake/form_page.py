"""The HTML web form at intake's ``/``: a worker files a grievance from a phone, without JavaScript.

``GET /`` shows the form and costs no store call (its CSRF token is signed, not stored:
:mod:`shared.form_tokens`). ``POST /`` files the grievance through
:func:`services.intake.webform.file_grievance`, the very operation of the JSON API, with the form's
token as its idempotency key, and answers the receipt itself: the PIN is shown on the answer to the
POST and never put in a URL, and a reload (or a second tap) sends the same token again, so it is
the same grievance with the same reference and PIN. A refused form is shown again with what the
worker wrote and plain sentences beside the fields, with a 4xx status, and nothing was published.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass
from typing import get_args
from urllib.parse import urlsplit

import structlog
from aiohttp import web
from multidict import MultiDict
from pydantic import ValidationError

from services.intake.form_texts import TEXTS, duration_words
from services.intake.publishing import RETRY_AFTER_SECONDS
from services.intake.state import INTAKE, IntakeState
from services.intake.webform import (
    GrievanceForm,
    NotAMobile,
    NotConfirmed,
    Receipt,
    Refused,
    TooManySubmissions,
    UnknownFactory,
    file_grievance,
)
from shared import form_tokens
from shared.bodies import read_form
from shared.contracts import Severity
from shared.form_tokens import TokenRefused
from shared.pages import page_language, render, setup_pages
from shared.web import Problem

log = structlog.get_logger(__name__)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
COOKIE = "webform"  # the browser's nonce for the form's token
PURPOSE = "webform"


@dataclass(frozen=True)
class Fields:
    """One value or one text key per field of the form (every field present, for the template)."""

    factory_code: str | None = None
    text: str | None = None
    contact: str | None = None


class FormRefused(Exception):
    """The form is shown again: a sentence for the whole form, one per field, the status."""

    def __init__(
        self,
        status: int,
        problem: str | None = None,
        errors: Fields = Fields(),
        *,
        minutes: int | None = None,  # when to come back, for a limit's sentence
        retry_after: int | None = None,  # the Retry-After header, in seconds
    ) -> None:
        super().__init__(problem)
        self.status, self.problem, self.errors = status, problem, errors
        self.minutes, self.retry_after = minutes, retry_after


def setup_form(app: web.Application) -> None:
    """The form's templates and texts, and its two routes."""
    setup_pages(app, "services.intake", TEXTS)
    app.router.add_get("/", form_page)
    app.router.add_post("/", submit_form)


async def form_page(request: web.Request) -> web.Response:
    return await _form(request, 200, Fields(), None)


async def submit_form(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    shown: Fields | None = None  # what the worker wrote, once the body is read
    token: str | None = None  # the form's token, once it checked out

    async def read() -> GrievanceForm:
        nonlocal shown, token
        raw = await _read(request)
        shown = _fields(raw)
        try:
            checked = form_tokens.check(
                intake.keys,
                PURPOSE,
                raw.get("token"),
                request.cookies.get(COOKIE),
                intake.clock(),
            )
        except TokenRefused:
            log.info("webform_token_refused")
            raise FormRefused(403, "error.expired") from None
        token = checked.value
        return _validated(shown, checked.form_id)

    try:
        receipt = await file_grievance(intake, request.remote or "unknown", read)
    except FormRefused as refused:
        return await _form(request, refused.status, shown or Fields(), refused, token)
    except Refused as refused:
        answer = _refusal(refused)
        if shown is None:
            # Refused before its body was read (the client's limit): read it now, only to give the
            # worker their text back.
            with contextlib.suppress(FormRefused):
                shown = _fields(await _read(request))
        return await _form(request, answer.status, shown or Fields(), answer, token)
    return await _receipt(request, intake, receipt, contact_given=bool(shown and shown.contact))


def _fields(raw: MultiDict[str]) -> Fields:
    """What the worker wrote, as the form shows it again (outer spaces of the short fields dropped)."""
    return Fields(
        factory_code=raw.get("factory_code", "").strip(),
        text=raw.get("text", ""),
        contact=raw.get("contact", "").strip(),
    )


async def _read(request: web.Request) -> MultiDict[str]:
    try:
        return await read_form(request)
    except Problem as problem:  # not urlencoded, too large, malformed: nothing to show again
        raise FormRefused(problem.status if problem.status < 500 else 400, "error.malformed") from None


def _validated(shown: Fields, form_id: str) -> GrievanceForm:
    """The form as the JSON API's model; its errors as one text key per field."""
    try:
        return GrievanceForm(
            factory_code=shown.factory_code or "",
            text=shown.text or "",
            contact=shown.contact or None,
            idempotency_key=form_id,
        )
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors(include_input=False, include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            kind = "missing" if field == "factory_code" and not shown.factory_code else error["type"]
            errors.setdefault(field, _error_key(field, kind))
        if not set(errors) <= {"factory_code", "text", "contact"}:
            raise FormRefused(400, "error.malformed") from None
        raise FormRefused(422, errors=Fields(**errors)) from None


def _error_key(field: str, kind: str) -> str:
    if field == "factory_code":
        return "error.factory_code.missing" if kind == "missing" else "error.factory_code.format"
    if field == "text":
        if kind == "string_too_short":
            return "error.text.missing"
        return "error.text.long" if kind == "string_too_long" else "error.text.invalid"
    return "error.contact.invalid"


def _refusal(refused: Refused) -> FormRefused:
    """The filing operation's refusal as the form shows it."""
    if isinstance(refused, TooManySubmissions):
        minutes = max(math.ceil(refused.wait / 60), 1)
        return FormRefused(429, "error.too_many", minutes=minutes, retry_after=refused.wait)
    if isinstance(refused, NotConfirmed):  # the same token resends the same grievance
        return FormRefused(503, "error.not_confirmed", retry_after=RETRY_AFTER_SECONDS)
    if isinstance(refused, NotAMobile):
        return FormRefused(422, errors=Fields(contact="error.contact.invalid"))
    if isinstance(refused, UnknownFactory):
        return FormRefused(422, errors=Fields(factory_code="error.factory_code.unknown"))
    raise refused


async def _form(
    request: web.Request,
    status: int,
    values: Fields,
    refused: FormRefused | None,
    token: str | None = None,
) -> web.Response:
    """The form, with what the worker wrote and why it was refused; a token for this browser (the
    one it sent, when it was good: a resend of the corrected form is still the same submission)."""
    intake = request.app[INTAKE]
    nonce = request.cookies.get(COOKIE)
    if nonce is None or not form_tokens.usable_nonce(nonce):
        nonce = form_tokens.new_nonce()
    if token is None:
        token = form_tokens.issue(intake.keys, PURPOSE, nonce, intake.clock()).value
    context = {
        "token": token,
        "values": {field: value or "" for field, value in asdict(values).items()},
        "errors": asdict(refused.errors) if refused else asdict(Fields()),
        "problem": refused.problem if refused else None,
        "invalid": refused is not None and refused.errors != Fields(),
        "minutes": refused.minutes if refused else None,
    }
    response = await render(request, "form.html", context, status=status)
    if refused is not None and refused.retry_after is not None:
        response.headers["Retry-After"] = str(refused.retry_after)
    # The same nonce again, for the token's whole lifetime from now: other open forms stay good.
    response.set_cookie(
        COOKIE,
        nonce,
        max_age=int(form_tokens.LIFETIME.total_seconds()),
        httponly=True,
        secure=_secure(intake),
        samesite="Lax",
        path="/",
    )
    return response


async def _receipt(
    request: web.Request, intake: IntakeState, receipt: Receipt, *, contact_given: bool
) -> web.Response:
    language = page_language(request)
    sla = intake.settings.sla
    acks = [sla.for_severity(severity).ack for severity in SEVERITIES]
    context = {
        "receipt": receipt,
        "ack_most": duration_words(max(acks), language),
        "ack_least": duration_words(min(acks), language),
        "contact_given": contact_given,
        # The router's page for the code (the cases are the router's); the reference filled in.
        "confirm_url": f"{intake.status_base_url}/contact/?ref={receipt.reference}",
    }
    return await render(request, "receipt.html", context)


def _secure(intake: IntakeState) -> bool:
    """``Secure`` unless told otherwise or intake is reached by plain http on loopback (development)."""
    chosen = intake.settings.console_secure_cookies
    if chosen is not None:
        return chosen
    url = urlsplit(intake.public_base_url)
    return not (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1"))
