"""``POST /api/v1/grievances``: the web form (design section 7), and the filing operation behind it.

:func:`file_grievance` is the one way a web grievance is filed: this JSON API and the HTML form at
``/`` (:mod:`services.intake.form_page`) both call it and only word its refusals differently.

Every field is validated by pattern or type before anything else happens; unknown fields are refused,
so no user value can reach a query operator downstream. The grievance id is always derived from an
idempotency key and the content, so a resubmission with the same key gets the same reference and PIN
and is never filed twice. A client that sends no key gets one made by the server; should the
grievance not be confirmed as durable, the 503 hands that key back, because the grievance may still
have arrived and only a resend with the key is sure not to file it a second time.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import structlog
from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints

from services.intake.contacts import mobile_number
from services.intake.publishing import RETRY_AFTER_SECONDS, NotDurable
from services.intake.state import INTAKE, IntakeState
from services.intake.texts import detect_language
from shared.bodies import read_json
from shared.contracts import GrievanceReceived, Reference
from shared.ids import grievance_id_for, reference_for
from shared.privacy import PIN_DIGITS, pin_for, pin_hash, reporter_key, seal
from shared.ratestore import Limit
from shared.store import PyMongoError
from shared.validation import Language, Reason, language_of
from shared.web import Problem, json_response

log = structlog.get_logger(__name__)

WEB_MAX_CHARS = 4000


def _plain_text(value: str) -> str:
    """Refuse what JSON escapes can smuggle past the body check: NUL and lone surrogates."""
    if "\x00" in value:
        raise Reason("must not contain NUL characters", "不能包含空字符（NUL）")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Reason("must be valid Unicode text", "应为有效的 Unicode 文字") from None
    return value


Text = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=WEB_MAX_CHARS),
    AfterValidator(_plain_text),
]


class GrievanceForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    factory_code: StrictStr = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
        description="the factory's code from the notice board, letters, digits and '-' without spaces",
        examples=["GZ-001"],
        json_schema_extra={"description_zh": "工厂公告栏上的工厂编号，字母、数字和“-”，不要空格"},
    )
    text: Text = Field(
        description="what happened, in your own words (up to 4000 characters)",
        json_schema_extra={"description_zh": "用您自己的话写下发生了什么（最多 4000 字）"},
    )
    contact: Annotated[StrictStr, AfterValidator(_plain_text), Field(max_length=64)] | None = Field(
        default=None,
        description="a mobile number for replies, or leave it out",
        examples=["13912345678"],
        json_schema_extra={"description_zh": "接收回复的手机号码，可以不填"},
    )
    anonymous: StrictBool = True
    language: Literal["zh", "en"] | None = None
    idempotency_key: StrictStr | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{16,128}$",
        description="16 to 128 letters, digits, '-' or '_', the same for every resend of one grievance",
        json_schema_extra={"description_zh": "16 到 128 个字母、数字、“-”或“_”，同一投诉重发时保持不变"},
    )


class Receipt(BaseModel):
    """What the worker keeps: the case reference, the PIN for the status page, and its address."""

    reference: Reference = Field(examples=["K7QMZ-3HNWP"])
    pin: str = Field(
        pattern=rf"^[0-9]{{{PIN_DIGITS}}}$",
        description=f"{PIN_DIGITS} digits; with the reference, opens the status page",
    )
    status_url: str


def new_idempotency_key() -> str:
    """A key for a client that sent none: 192 random bits, 32 characters of the key's alphabet."""
    return secrets.token_urlsafe(24)


def _grievance_id(key: str, form: GrievanceForm) -> uuid.UUID:
    """The grievance id of one submission: the same key with the same content is the same grievance."""
    content = hashlib.sha256(f"{form.factory_code}\x1f{form.text}".encode()).hexdigest()
    return grievance_id_for("web", key, content)


# How long a rate counter may take before the submission goes on without it.
COUNT_BOUND = 0.5


class Refused(Exception):
    """A submission the web form does not file; each view says why in its own words, once."""


class NotAMobile(Refused):
    """The contact is not a mobile number that can receive SMS (the number is never echoed)."""


class UnknownFactory(Refused):
    """The registry has no factory with this code."""


class TooManySubmissions(Refused):
    """A limit was reached; ``wait`` seconds until the window ends."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


class NotConfirmed(Refused):
    """Neither the broker nor the spool confirmed the grievance; a resend with ``key`` is safe."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


async def _wait(intake: IntakeState, limit: Limit, key: str) -> int | None:
    """The limit's answer; None when the store cannot count, or not within :data:`COUNT_BOUND`
    (many writes on one counter queue up on a loaded store), since a grievance must never be lost or
    held up for want of a counter (the spool or the broker may still take it)."""
    try:
        async with asyncio.timeout(COUNT_BOUND):
            return await intake.rates.hit(limit, key)
    except (PyMongoError, TimeoutError):
        log.warning("webform_limit_unavailable", scope=limit.scope)
        return None


async def file_grievance(
    intake: IntakeState, client: str, read: Callable[[], Awaitable[GrievanceForm]]
) -> Receipt:
    """File one web grievance: the one operation behind the JSON API and the HTML form alike.

    ``read`` parses the request's body into the form; it is called only after the client's limit
    let the request through, so a flood is refused before its bodies are read. Raises a
    :class:`Refused` (or whatever ``read`` raises) and then nothing was published.
    """
    if (wait := await _wait(intake, intake.client_limit, client)) is not None:
        raise TooManySubmissions(wait)
    form = await read()
    number = None
    if form.contact is not None:
        number = mobile_number(form.contact, intake.settings.default_region)
        if number is None:
            raise NotAMobile
    if not await intake.factories.known(form.factory_code):
        raise UnknownFactory
    if number is not None and (wait := await _wait(intake, intake.contact_limit, number)) is not None:
        raise TooManySubmissions(wait)
    key = form.idempotency_key or new_idempotency_key()
    grievance_id = _grievance_id(key, form)
    reference = reference_for(grievance_id)
    keys = intake.keys
    pin = pin_for(keys, str(grievance_id))

    def build() -> GrievanceReceived:
        return GrievanceReceived(
            correlation_id=grievance_id,
            grievance_id=grievance_id,
            reference=reference,
            channel="web",
            provider="web",
            received_at=intake.clock(),
            text=form.text,
            language=form.language or detect_language(form.text),
            factory_hint=form.factory_code,
            reporter_key=reporter_key(keys, number) if number else None,
            sealed_contact=seal(keys, number) if number else None,
            anonymous=form.anonymous,
            pin_hash=pin_hash(keys, reference, pin),
        )

    try:
        reference = await intake.publisher.publish(grievance_id, build)
    except NotDurable:
        raise NotConfirmed(key) from None
    # The worker's case page, the reference filled in; the PIN is never in a URL.
    status_url = f"{intake.status_base_url}/case/?ref={reference}"
    return Receipt(reference=reference, pin=pin, status_url=status_url)


async def submit_grievance(request: web.Request) -> web.Response:
    """``POST /api/v1/grievances``: :func:`file_grievance`, its refusals as problem+json."""
    accept = request.headers.get("Accept-Language")
    forms: list[GrievanceForm] = []

    async def read() -> GrievanceForm:
        forms.append(await read_json(request, GrievanceForm, worker_facing=True))
        return forms[0]

    try:
        receipt = await file_grievance(request.app[INTAKE], request.remote or "unknown", read)
    except Refused as refused:
        raise _problem(refused, _answer_language(accept, forms[0] if forms else None)) from None
    return json_response(receipt.model_dump(), status=202)


def _answer_language(accept: str | None, form: GrievanceForm | None) -> Language:
    """As chosen, else Chinese for Chinese text, else as the browser prefers."""
    if form is None:
        return language_of(accept)
    return language_of(accept, form.language or ("zh" if detect_language(form.text) == "zh" else None))


def _problem(refused: Refused, language: Language) -> Problem:
    zh = language == "zh"
    if isinstance(refused, TooManySubmissions):
        problem = Problem(
            429,
            "Too Many Requests",
            "提交太频繁，请稍后再试。" if zh else "Too many submissions; please try again later.",
        )
        problem.headers["Retry-After"] = str(refused.wait)
        return problem
    if isinstance(refused, NotConfirmed):
        problem = Problem(
            503,
            "Service Unavailable",
            "投诉暂时无法确认已保存，但可能已经收到；请用这个 idempotency_key 原样再发一次，不会重复登记。"
            if zh
            else "the grievance could not be confirmed as stored just now, but it may still have arrived; "
            "send it again unchanged with this idempotency_key: it will never be filed twice",
            idempotency_key=refused.key,
        )
        problem.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return problem
    if isinstance(refused, NotAMobile):
        field, message = (
            "contact",
            "contact 不是可以接收短信的手机号码。请填写您的手机号码（例如 13912345678），或者不填。"
            if zh
            else "contact is not a mobile number that can receive SMS. Give your mobile number "
            "(for example 13912345678), or leave it out.",
        )
    else:
        field, message = (
            "factory_code",
            "没有这个工厂编号。请核对工厂公告栏上的编号（例如 GZ-001）后重新提交。"
            if zh
            else "There is no factory with this code. Check the code on the factory's notice board "
            "(for example GZ-001) and send the form again.",
        )
    return Problem(422, "Unprocessable Content", message, errors=[{"field": field, "message": message}])
