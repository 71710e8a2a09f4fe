"""The NGO API (design section 7): escalations to act on, and programme statistics.

Only NGO and admin tokens get in (a committee token gets 403). An NGO token sees its factories only:
an escalation outside them is 404, and filters are clamped to them. Query parameters are validated by
pattern before they become equality values in a query, and every answer is built from an allow-list
of fields, so the worker's contact can never leak through here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from services.escalation import stats, store
from services.escalation.escalations import Escalation, EscalationResolved, EscalationStatus
from services.escalation.store import EscalationQuery
from services.escalation.views import CaseGroup, EscalationDetail, EscalationSummary
from shared.auth import Principal, require
from shared.contracts import EscalationReason, PlainId, Reference
from shared.runtime import RUNTIME, Runtime
from shared.web import Problem, json_response, read_json, validate

ID_PATTERN = r"^[0-9a-f]{32}$"
_SINCE = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$"


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: EscalationStatus | None = None
    factory: PlainId | None = None
    reason: EscalationReason | None = None
    reference: Reference | None = None
    # ``case``: one row per case, with every selected escalation of it (the NGO's inbox).
    group: Literal["case"] | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


# The instants ``since`` may name: wide enough for any programme, and a day inside Python's own
# range, so no offset can carry a conversion to UTC past year 1 or 9999 (an OverflowError).
_EARLIEST, _LATEST = date(1970, 1, 1), date(9998, 12, 31)


def _since(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    """An ISO date (midnight UTC) or an ISO date and time with its offset, as an aware UTC instant.

    One error whatever went wrong (shape, calendar, missing offset), in plain words; pydantic alone
    would report one per member of the union, and take a bare number for a Unix timestamp.
    """
    if not (isinstance(value, str) and re.fullmatch(_SINCE, value)):
        raise PydanticCustomError("date_or_datetime", "not a date")
    try:
        parsed: datetime = handler(value)  # a bare date is midnight without an offset
    except ValidationError:
        raise PydanticCustomError("date_or_datetime", "not a date") from None
    day = parsed.date()
    if day < _EARLIEST:
        raise PydanticCustomError("greater_than_equal", "too early", {"ge": _EARLIEST.isoformat()})
    if day > _LATEST:
        raise PydanticCustomError("less_than_equal", "too late", {"le": _LATEST.isoformat()})
    # The pattern lets a time through only with its offset: no offset means a bare date, in UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


Since = Annotated[datetime, WrapValidator(_since)]


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factory: PlainId | None = None
    since: Since | None = None


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=4000)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/escalations", list_escalations)
    app.router.add_get("/api/v1/escalations/{id}", get_escalation)
    app.router.add_post("/api/v1/escalations/{id}/acknowledge", acknowledge)
    app.router.add_post("/api/v1/escalations/{id}/resolve", resolve)
    app.router.add_get("/api/v1/stats", get_stats)


async def _caller(request: web.Request) -> tuple[Runtime, Principal]:
    runtime = request.app[RUNTIME]
    return runtime, await require(request, runtime.db, "ngo", "admin")


def _query(request: web.Request) -> dict[str, str]:
    if len(set(request.query.keys())) != len(request.query):
        raise Problem(400, "Bad Request", "a query parameter is repeated")
    return dict(request.query)


def _scope(principal: Principal, factory: str | None) -> list[str] | None:
    """The factories a query may touch: ``None`` for all, else a list (empty: nothing in scope)."""
    if factory is not None:
        return [factory] if principal.sees_factory(factory) else []
    return None if principal.factories is None else list(principal.factories)


async def list_escalations(request: web.Request) -> web.Response:
    runtime, principal = await _caller(request)
    params = validate(ListQuery, _query(request))
    factories = _scope(principal, params.factory)
    query = EscalationQuery(
        status=params.status,
        reason=params.reason,
        factories=None if factories is None else tuple(factories),
        reference=params.reference,
    )
    skip = (params.page - 1) * params.per_page
    if params.group == "case":
        groups, cases = await store.list_case_groups(runtime.db, query, skip, params.per_page)
        return _respond(
            {
                "items": [CaseGroup.of(group).body() for group in groups],
                "page": params.page,
                "per_page": params.per_page,
                "total": cases,
            }
        )
    found, total = await store.list_escalations(runtime.db, query, skip, params.per_page)
    return _respond(
        {
            "items": [EscalationSummary.of(escalation).body() for escalation in found],
            "page": params.page,
            "per_page": params.per_page,
            "total": total,
        }
    )


async def _visible(request: web.Request) -> tuple[Runtime, Principal, Escalation]:
    runtime, principal = await _caller(request)
    escalation_id = request.match_info["id"]
    escalation = None
    if _matches_id(escalation_id):
        escalation = await store.get_escalation(runtime.db, escalation_id)
    if escalation is None or not principal.sees_factory(escalation.factory_id):
        raise Problem(404, "Not Found", "no such escalation")
    return runtime, principal, escalation


def _matches_id(value: str) -> bool:
    return re.fullmatch(ID_PATTERN, value) is not None


async def get_escalation(request: web.Request) -> web.Response:
    runtime, _, escalation = await _visible(request)
    clock = await store.load_clock(runtime.db, escalation.case_id)
    return _respond(EscalationDetail.of_case(escalation, clock).body())


async def acknowledge(request: web.Request) -> web.Response:
    runtime, principal, escalation = await _visible(request)
    try:
        acknowledged = escalation.acknowledge(principal.token_id, runtime.clock())
    except EscalationResolved:
        raise Problem(409, "Conflict", "the escalation is already resolved") from None
    if acknowledged is not escalation:
        stored = await store.transition(runtime.db, acknowledged)
        if stored is None:
            raise Problem(409, "Conflict", "the escalation is already resolved")
        acknowledged = stored
    return _respond(EscalationDetail.of_case(acknowledged, None).body())


async def resolve(request: web.Request) -> web.Response:
    runtime, principal, escalation = await _visible(request)
    body = await read_json(request, ResolveBody)
    try:
        resolved = escalation.resolve(body.note, principal.token_id, runtime.clock())
    except EscalationResolved:
        raise Problem(409, "Conflict", "the escalation is already resolved") from None
    if resolved is not escalation:
        stored = await store.transition(runtime.db, resolved)
        if stored is None:
            raise Problem(409, "Conflict", "the escalation changed meanwhile; read it again")
        resolved = stored
    return _respond(EscalationDetail.of_case(resolved, None).body())


async def get_stats(request: web.Request) -> web.Response:
    runtime, principal = await _caller(request)
    params = validate(StatsQuery, _query(request))
    since = params.since
    factories = _scope(principal, params.factory)
    result = None
    if factories != []:
        result = await store.stats_of(runtime.db, factories, since, stats.stages(runtime.clock()))
    body = stats.from_pipeline(result)
    body["since"] = since
    return _respond(body)


def _respond(body: Any, status: int = 200) -> web.Response:
    return json_response(_plain(body), status)


def _plain(value: Any) -> Any:
    """Datetimes as ISO 8601 strings, everywhere in an answer."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
