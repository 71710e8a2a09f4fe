"""``POST /api/v1/contact/confirm``: a worker proves they hold the number they gave on the web form.

A number typed into the web form proves nothing: anyone may type anyone's. Until the worker writes
back the code that was sent to it (here with the case's reference, or by SMS from that number, see
:mod:`services.router.dialogue`), the case texts nothing to it but that one request and binds no
message from it (docs/router.md, "Conversation binding"). Each case takes a few codes
(:data:`~services.router.worker_store.CONFIRM_ATTEMPTS`, counted in the store before the code is
compared, so for all replicas together); after them only an SMS from the number confirms it. A wrong code, an unknown reference,
a case with nothing to confirm and a locked one are the same 404, in the worker's language.
:func:`confirm_code` is the one operation; the worker's page ``/contact/``
(:mod:`services.router.contact_page`) calls it too.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.router.appkeys import (
    CASES,
    CLOCK,
    CONFIRM_LIMIT,
    OUTBOX,
    PRIVACY_KEYS,
    RATES,
    REGISTRY,
    WORKERS,
)
from services.router.case import Case
from services.router.errors import CaseNotFound
from shared.bodies import read_json
from shared.ids import REFERENCE_FORM
from shared.messaging import PublishError
from shared.privacy import contact_code
from shared.store import to_ms
from shared.validation import language_of
from shared.web import Problem, json_response

Reference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=rf"^(?i:{REFERENCE_FORM})$"),
]


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: Reference = Field(
        description="the case reference the form showed",
        examples=["K7QMZ-3HNWP"],
        json_schema_extra={"description_zh": "提交后显示的案件编号"},
    )
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")] = Field(
        description="the six-digit code sent to your phone",
        examples=["123456"],
        json_schema_extra={"description_zh": "发到您手机上的六位验证码"},
    )
    language: Literal["zh", "en"] | None = None


_NOT_FOUND = {
    "zh": "编号或验证码不对，或此案件没有待确认的号码。",
    "en": "The reference or the code is not right, or this case has no number to confirm.",
}


class NotConfirmable(Exception):
    """A wrong code, an unknown reference, a case with nothing to confirm or a locked one: one refusal,
    so a guesser learns nothing from which it was."""


class TooManyAttempts(Exception):
    """The client's limit on confirmation attempts; ``wait`` seconds until it resets."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


async def confirm_code(app: web.Application, client: str, read: Callable[[], Awaitable[ConfirmBody]]) -> str:
    """Confirm a web contact with its code: the one operation behind the JSON API and the HTML page.

    ``read`` parses the request into the body, called only once the client's limit let it through.
    Returns the case's reference; raises :class:`TooManyAttempts` or :class:`NotConfirmable`.
    """
    wait = await app[RATES].hit(app[CONFIRM_LIMIT], client)
    if wait is not None:
        raise TooManyAttempts(wait)
    body = await read()
    waiting = [c for c in await app[CASES].by_reference(body.reference.upper()) if c.awaits_confirmation]
    case = waiting[0] if waiting else None
    if case is None or case.reporter_key is None or case.claimed_reporter_key is None:
        raise NotConfirmable
    if not await app[WORKERS].confirm_attempt(case.case_id):
        raise NotConfirmable
    code = contact_code(app[PRIVACY_KEYS], case.reporter_key, case.created_at.date().isoformat())
    if not hmac.compare_digest(code, body.code):
        raise NotConfirmable
    confirm = partial(
        Case.confirm_contact,
        reporter_key=case.claimed_reporter_key,
        action_id="contact:web",
        now=to_ms(app[CLOCK]()),
        reach_worker=await app[WORKERS].reaches(case.claimed_reporter_key),
        zone=await app[REGISTRY].timezone_of(case.factory_id),
    )
    try:
        await app[OUTBOX].apply(case.case_id, confirm)
    except CaseNotFound:
        raise NotConfirmable from None
    except PublishError:  # the confirmation is durable; it causes no event of its own
        pass
    return case.reference


async def confirm_contact(request: web.Request) -> web.Response:
    """``POST /api/v1/contact/confirm``: :func:`confirm_code`, its refusals as problem+json."""
    bodies: list[ConfirmBody] = []

    async def read() -> ConfirmBody:
        bodies.append(await read_json(request, ConfirmBody, worker_facing=True))
        return bodies[0]

    try:
        reference = await confirm_code(request.app, request.remote or "unknown", read)
    except TooManyAttempts as refused:
        zh = language_of(request.headers.get("Accept-Language")) == "zh"
        wait = "尝试次数太多，请等一分钟再试。" if zh else "too many attempts; wait a minute"
        problem = Problem(429, "Too Many Requests", wait)
        problem.headers["Retry-After"] = str(refused.wait)
        raise problem from None
    except NotConfirmable:
        chosen = bodies[0].language if bodies else None
        language = language_of(request.headers.get("Accept-Language"), chosen)
        raise Problem(404, "Not Found", _NOT_FOUND[language]) from None
    return json_response({"reference": reference, "contact_confirmed": True})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/contact/confirm", confirm_contact)
