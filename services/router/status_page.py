"""The public status lookup (``POST /api/v1/status/{reference}``) and its lockouts, for the NGO.

The PIN travels in the body, never in the URL, so it stays out of access logs, proxies and browser
histories. A wrong PIN, an unknown reference and a locked reference get the same 404 with the same
words, after the same work: the lookup goes through :mod:`services.router.pin_gate`, the one path
the worker's case page takes too (the limit per client, the lock per reference, the constant-time
PIN check).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from services.router.appkeys import CASES, CLOCK, REGISTRY, STATUS_ATTEMPTS, TOKENS_DB
from services.router.pin_gate import Entered, TooManyLookups, pin_gate
from services.router.views import status_view
from shared.auth import require
from shared.bodies import read_json, validate
from shared.store import PyMongoError
from shared.validation import language_of
from shared.web import Problem, json_response

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
    gate = pin_gate(app)
    try:
        await gate.admit(request.remote or "unknown")
    except TooManyLookups as exc:
        zh = language_of(request.headers.get("Accept-Language")) == "zh"
        text = "查询太频繁，请稍后再试。" if zh else "Too many lookups; please wait and try again."
        problem = Problem(429, "Too Many Requests", text)
        problem.headers["Retry-After"] = str(exc.wait)
        raise problem from None
    body = await read_json(request, StatusBody, worker_facing=True)
    language = language_of(request.headers.get("Accept-Language"), body.language)
    opened = await gate.check(Entered.parse(request.match_info["reference"], codes=False), body.pin)
    if opened is None:
        raise _no_status(language)
    view = status_view(opened, app[CLOCK]())
    # The zone the factory's workers are told times in, for a page that shows them locally.
    view["timezone"] = await app[REGISTRY].timezone_of(opened.factory_id)
    return json_response(view)


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
