"""The public status lookup (``POST /api/v1/status/{reference}``) and its lockouts, for the NGO.

The PIN travels in the body, never in the URL, so it stays out of access logs, proxies and browser
histories. Three answers must not be told apart, by status, body or time: a wrong PIN, an unknown
reference and a locked reference (even with the right PIN). So each takes the same path: one count
against the client's limit, one read of the lock, one read of the cases, one keyed hash compared in
constant time (against a stand-in when there is no case), and one write to the reference's attempts;
and each gets the same 404 with the same words. See :mod:`services.router.status_store` for the
lock, :mod:`shared.ratestore` for the per-client limit (the client being the one the trusted proxy
names, :mod:`shared.forwarded`).
"""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from services.router.appkeys import (
    CASES,
    CLOCK,
    PRIVACY_KEYS,
    RATES,
    REGISTRY,
    STATUS_ATTEMPTS,
    STATUS_LIMIT,
    TOKENS_DB,
)
from services.router.progress import StatusFacts
from services.router.views import status_view
from shared.auth import require
from shared.privacy import pin_hash
from shared.store import PyMongoError
from shared.validation import language_of
from shared.web import Problem, json_response, read_json, validate

log = structlog.get_logger(__name__)

REFERENCE = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")
_SEPARATORS = re.compile(r"[\s\-]")
# What a lookup without a case reads and compares instead, so it does the same work as one with a
# case: the same small document parsed, a PIN hash that no PIN gives.
_STAND_IN = {
    "reference": "ABCDE-FGHJK",
    "pin_hash": "0" * 64,
    "factory_id": "STAND-IN",
    "committee_id": "stand-in",
    "category": "other",
    "severity": "normal",
    "status": "assigned",
    "ack_due_at": datetime(2000, 1, 1, tzinfo=UTC),
    "resolve_due_at": datetime(2000, 1, 1, tzinfo=UTC),
}

NOT_FOUND = {
    "zh": "编号和密码不匹配，或尝试次数过多。请核对后稍后再试。",
    "en": "The reference and PIN do not match, or there were too many tries. Check them and try later.",
}


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: Annotated[StrictStr, Field(min_length=1, max_length=32)] = Field(
        description="the PIN you were given with the reference",
        examples=["4829130571"],
        json_schema_extra={"description_zh": "提交投诉时得到的密码"},
    )
    language: Literal["zh", "en"] | None = None


def _no_status(language: str) -> Problem:
    return Problem(404, "Not Found", NOT_FOUND["zh" if language == "zh" else "en"])


def _opened(cases: list[StatusFacts], keys: Any, reference: str, pin: str) -> StatusFacts | None:
    """The case this PIN opens, hashing once per candidate (once against a stand-in when none)."""
    stand_in = not cases
    if stand_in:
        cases = [StatusFacts.model_validate(_STAND_IN)]
    opened = None
    for case in cases:
        given = pin_hash(keys, reference if stand_in else case.original_reference or case.reference, pin)
        if case.pin_hash and hmac.compare_digest(case.pin_hash, given) and opened is None:
            opened = case
    return None if stand_in else opened


async def public_status(request: web.Request) -> web.Response:
    """Status and deadlines for the worker who holds the reference and its PIN; 503 while the store
    cannot count (no lookup goes uncounted)."""
    try:
        return await _lookup(request)
    except PyMongoError:
        problem = Problem(503, "Service Unavailable", "the status cannot be looked up just now; retry")
        problem.headers["Retry-After"] = "5"
        raise problem from None


async def _lookup(request: web.Request) -> web.Response:
    app = request.app
    wait = await app[RATES].hit(app[STATUS_LIMIT], request.remote or "unknown")
    if wait is not None:
        zh = language_of(request.headers.get("Accept-Language")) == "zh"
        text = "查询太频繁，请稍后再试。" if zh else "Too many lookups; please wait and try again."
        problem = Problem(429, "Too Many Requests", text)
        problem.headers["Retry-After"] = str(wait)
        raise problem
    body = await read_json(request, StatusBody, worker_facing=True)
    language = language_of(request.headers.get("Accept-Language"), body.language)
    reference = request.match_info["reference"].upper()
    if not REFERENCE.match(reference):
        raise _no_status(language)  # the pattern is public: nothing to hide, nothing to count
    attempts, now = app[STATUS_ATTEMPTS], app[CLOCK]()
    locked = await attempts.locked(reference, now)
    pin = _SEPARATORS.sub("", body.pin)
    opened = _opened(await app[CASES].for_status(reference), app[PRIVACY_KEYS], reference, pin)
    if locked:
        await attempts.refused(reference, now)
    elif opened is not None:
        await attempts.succeeded(reference, now)
        view = status_view(opened, now)
        # The zone the factory's workers are told times in, for a page that shows them locally.
        view["timezone"] = await app[REGISTRY].timezone_of(opened.factory_id)
        return json_response(view)
    else:
        lockout = await attempts.failed(reference, now)
        if lockout is not None:
            minutes = int((lockout.locked_until - now).total_seconds() // 60)
            log.warning("status_reference_locked", reference=reference, locks=lockout.locks, minutes=minutes)
    raise _no_status(language)


class LockoutQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=100, ge=1, le=500)


async def lockouts(request: web.Request) -> web.Response:
    """The references locked by wrong PINs, for the NGO: which case, how often, until when.

    A token for some factories sees the lockouts of those factories' cases; one for every factory
    also sees how many references without a case were locked (guessing at random references).
    """
    app = request.app
    principal = await require(request, app[TOKENS_DB], "ngo")
    query = validate(LockoutQuery, dict(request.query))
    now = app[CLOCK]()
    found = await app[STATUS_ATTEMPTS].lockouts(query.limit)
    factories = await app[CASES].factories_of_references([lockout.reference for lockout in found])
    items, unknown = [], 0
    for lockout in found:
        if lockout.reference not in factories:
            unknown += 1
            continue
        factory_id = factories[lockout.reference]
        if not principal.sees_factory(factory_id):
            continue
        items.append(
            {
                "reference": lockout.reference,
                "factory_id": factory_id,
                "locks": lockout.locks,
                "locked_now": lockout.locked_until > now,
                "locked_until": lockout.locked_until.isoformat(),
                "last_locked_at": lockout.last_locked_at.isoformat(),
                "refused_while_locked": lockout.refused_while_locked,
            }
        )
    answer: dict[str, Any] = {"items": items}
    if principal.factories is None:
        answer["references_without_case"] = unknown
    return json_response(answer)
