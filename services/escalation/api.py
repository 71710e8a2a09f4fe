"""The NGO API (design section 7): escalations to act on, and programme statistics.

Only NGO and admin tokens get in (a committee token gets 403). An NGO token sees its factories only:
an escalation outside them is 404, and filters are clamped to them. Query parameters are validated by
pattern before they become equality values in a query, and every answer is built from an allow-list
of fields, so the worker's contact can never leak through here. What the NGO does to an escalation
is :mod:`services.escalation.desk`, which the NGO console calls too.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from services.escalation import requests, stats, stats_store, store
from services.escalation.desk import ChangedMeanwhile, NgoDesk
from services.escalation.escalations import Escalation, EscalationResolved, EscalationStatus
from services.escalation.store import EscalationQuery
from services.escalation.views import CaseGroup, EscalationDetail, EscalationSummary
from shared.auth import Principal, require
from shared.bodies import read_json, validate
from shared.contracts import EscalationReason, Event, PlainId, Reference
from shared.messaging import PublishError
from shared.runtime import RUNTIME
from shared.web import Problem, json_response

ID_PATTERN = r"^[0-9a-f]{32}$"
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Text the NGO writes: surrounding blanks dropped, something left.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
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


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text = Field(max_length=1600)


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    committee_id: PlainId


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Text = Field(max_length=1000)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/escalations", list_escalations)
    app.router.add_get("/api/v1/escalations/{id}", get_escalation)
    app.router.add_post("/api/v1/escalations/{id}/acknowledge", acknowledge)
    app.router.add_post("/api/v1/escalations/{id}/resolve", resolve)
    app.router.add_post("/api/v1/escalations/{id}/messages", post_message)
    app.router.add_post("/api/v1/escalations/{id}/transfer", transfer)
    app.router.add_post("/api/v1/escalations/{id}/close", close)
    app.router.add_get("/api/v1/stats", get_stats)


async def _caller(request: web.Request) -> tuple[NgoDesk, Principal]:
    """The desk the NGO's requests work on (store, bus, clock), and who is calling."""
    desk = NgoDesk.of(request.app[RUNTIME])
    return desk, await require(request, desk.db, "ngo", "admin")


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
    desk, principal = await _caller(request)
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
        groups, cases = await store.list_case_groups(desk.db, query, skip, params.per_page)
        return _respond(
            {
                "items": [CaseGroup.of(group).body() for group in groups],
                "page": params.page,
                "per_page": params.per_page,
                "total": cases,
            }
        )
    found, total = await store.list_escalations(desk.db, query, skip, params.per_page)
    return _respond(
        {
            "items": [EscalationSummary.of(escalation).body() for escalation in found],
            "page": params.page,
            "per_page": params.per_page,
            "total": total,
        }
    )


async def _visible(request: web.Request) -> tuple[NgoDesk, Principal, Escalation]:
    desk, principal = await _caller(request)
    escalation_id = request.match_info["id"]
    escalation = None
    if _matches_id(escalation_id):
        escalation = await desk.visible(principal, escalation_id)
    if escalation is None:
        raise Problem(404, "Not Found", "no such escalation")
    return desk, principal, escalation


def _matches_id(value: str) -> bool:
    return re.fullmatch(ID_PATTERN, value) is not None


async def get_escalation(request: web.Request) -> web.Response:
    desk, _, escalation = await _visible(request)
    record = await desk.case_record(escalation)
    return _respond(EscalationDetail.of_case(escalation, record).body())


async def acknowledge(request: web.Request) -> web.Response:
    desk, principal, escalation = await _visible(request)
    try:
        acknowledged = await desk.acknowledge(escalation, principal.token_id)
    except EscalationResolved:
        raise Problem(409, "Conflict", "the escalation is already resolved") from None
    return _respond(EscalationDetail.of_case(acknowledged, None).body())


async def resolve(request: web.Request) -> web.Response:
    desk, principal, escalation = await _visible(request)
    body = await read_json(request, ResolveBody)
    try:
        resolved = await desk.resolve(escalation, body.note, principal.token_id)
    except EscalationResolved:
        raise Problem(409, "Conflict", "the escalation is already resolved") from None
    except ChangedMeanwhile:
        raise Problem(409, "Conflict", "the escalation changed meanwhile; read it again") from None
    return _respond(EscalationDetail.of_case(resolved, None).body())


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Bad Request", "Idempotency-Key must be 1-128 letters, digits or ._:-")
    return key


async def _requested(action: Awaitable[Event]) -> web.Response:
    """The NGO's request published for the router, which owns the case: 202, the change follows."""
    try:
        event = await action
    except requests.Refused as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    except PublishError:
        problem = Problem(503, "Service Unavailable", "the event bus did not confirm; retry the request")
        problem.headers["Retry-After"] = "5"
        raise problem from None
    return _respond({"request_id": str(event.id), "type": event.type, "status": "accepted"}, 202)


async def post_message(request: web.Request) -> web.Response:
    """Write to the worker; the router records it in the thread and relays it, marked as the NGO's."""
    desk, principal, escalation = await _visible(request)
    body = await read_json(request, MessageBody)
    key = _idempotency_key(request)
    return await _requested(desk.message(escalation, body.text, principal.token_id, key))


async def transfer(request: web.Request) -> web.Response:
    """Hand the case to a committee of its factory; the router checks the committee may take it."""
    desk, principal, escalation = await _visible(request)
    body = await read_json(request, TransferBody)
    key = _idempotency_key(request)
    desk = desk
    return await _requested(desk.transfer(escalation, body.committee_id, principal.token_id, key))


async def close(request: web.Request) -> web.Response:
    """Close the case with an outcome the worker is told; the escalation is resolved with it
    (:meth:`NgoDesk.close`: also one the NGO resolved before with a note of its own)."""
    desk, principal, escalation = await _visible(request)
    body = await read_json(request, CloseBody)
    key = _idempotency_key(request)
    return await _requested(desk.close(escalation, body.outcome, principal.token_id, key))


async def get_stats(request: web.Request) -> web.Response:
    desk, principal = await _caller(request)
    params = validate(StatsQuery, _query(request))
    since = params.since
    factories = _scope(principal, params.factory)
    table = stats.compute([], desk.clock())
    if factories != []:
        table = await stats_store.figures(desk.db, factories, since, desk.clock())
    body = table.answer()
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
