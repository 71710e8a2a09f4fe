"""The NGO API (design section 7): escalations to act on, and programme statistics.

Only NGO and admin tokens get in (a committee token gets 403). An NGO token sees its factories only:
an escalation outside them is 404, and filters are clamped to them. Query parameters are validated by
pattern before they become equality values in a query, and every answer is built from an allow-list
of fields, so the worker's contact can never leak through here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.escalation import stats, store
from services.escalation.clocks import STATE_FIELDS
from shared.auth import Principal, require
from shared.contracts import EscalationReason, PlainId
from shared.runtime import RUNTIME, Runtime
from shared.web import Problem, json_response, read_json, validate

Doc = dict[str, Any]
_ID = r"^[0-9a-f]{32}$"
_SINCE = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$"
Status = Literal["open", "acknowledged", "resolved"]

_SUMMARY_FIELDS = (
    "reference",
    "reason",
    "level",
    "status",
    "factory_id",
    "committee_id",
    "category",
    "severity",
    "case_status",
    "case_created_at",
    "deadlines",
    "deadlines_missed",
    "created_at",
    "acknowledged_at",
    "resolved_at",
)
_DETAIL_FIELDS = (*_SUMMARY_FIELDS, "language", "text", "timeline", "resolution_note")
_TIMELINE_FIELDS = ("at", "action", "actor_role", "status")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    factory: PlainId | None = None
    reason: EscalationReason | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factory: PlainId | None = None
    since: Annotated[str, Field(pattern=_SINCE)] | None = None


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
    query: Doc = {}
    if params.status:
        query["status"] = params.status
    if params.reason:
        query["reason"] = params.reason
    factories = _scope(principal, params.factory)
    if factories is not None:
        query["factory_id"] = {"$in": factories}
    skip = (params.page - 1) * params.per_page
    docs, total = await store.list_escalations(runtime.db, query, skip, params.per_page)
    return _respond(
        {
            "items": [_view(doc, _SUMMARY_FIELDS) for doc in docs],
            "page": params.page,
            "per_page": params.per_page,
            "total": total,
        }
    )


async def _visible(request: web.Request) -> tuple[Runtime, Principal, Doc]:
    runtime, principal = await _caller(request)
    escalation_id = request.match_info["id"]
    doc = None
    if _matches_id(escalation_id):
        doc = await store.get_escalation(runtime.db, escalation_id)
    if doc is None or not principal.sees_factory(doc.get("factory_id")):
        raise Problem(404, "Not Found", "no such escalation")
    return runtime, principal, doc


def _matches_id(value: str) -> bool:
    return re.fullmatch(_ID, value) is not None


async def get_escalation(request: web.Request) -> web.Response:
    runtime, _, doc = await _visible(request)
    view = _view(doc, _DETAIL_FIELDS)
    clock = await store.load_clock(runtime.db, doc["case_id"])
    if clock is not None:
        case = {k: clock.get(k) for k in STATE_FIELDS}
        case["timeline"] = [{k: e.get(k) for k in _TIMELINE_FIELDS} for e in clock.get("timeline", [])]
        view["case"] = case
    return _respond(view)


async def acknowledge(request: web.Request) -> web.Response:
    runtime, principal, doc = await _visible(request)
    if doc["status"] == "acknowledged":
        return _respond(_view(doc, _DETAIL_FIELDS))
    changes = {
        "status": "acknowledged",
        "acknowledged_at": runtime.clock(),
        "acknowledged_by": principal.token_id,
    }
    updated = await store.transition(runtime.db, doc["_id"], ["open"], changes)
    if updated is None:
        raise Problem(409, "Conflict", "the escalation is already resolved")
    return _respond(_view(updated, _DETAIL_FIELDS))


async def resolve(request: web.Request) -> web.Response:
    runtime, principal, doc = await _visible(request)
    body = await read_json(request, ResolveBody)
    if doc["status"] == "resolved":
        if doc.get("resolution_note") == body.note:
            return _respond(_view(doc, _DETAIL_FIELDS))
        raise Problem(409, "Conflict", "the escalation is already resolved")
    now = runtime.clock()
    changes: Doc = {"status": "resolved", "resolved_at": now, "resolution_note": body.note}
    changes["resolved_by"] = principal.token_id
    if doc.get("acknowledged_at") is None:
        changes["acknowledged_at"] = now
    updated = await store.transition(runtime.db, doc["_id"], ["open", "acknowledged"], changes)
    if updated is None:
        raise Problem(409, "Conflict", "the escalation changed meanwhile; read it again")
    return _respond(_view(updated, _DETAIL_FIELDS))


async def get_stats(request: web.Request) -> web.Response:
    runtime, principal = await _caller(request)
    params = validate(StatsQuery, _query(request))
    since = _parse_since(params.since) if params.since else None
    factories = _scope(principal, params.factory)
    result = None
    if factories != []:
        result = await store.stats_of(runtime.db, factories, since, stats.stages(runtime.clock()))
    body = stats.from_pipeline(result)
    body["since"] = since
    return _respond(body)


def _parse_since(value: str) -> datetime:
    try:
        if "T" in value:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        raise Problem(422, "Unprocessable Content", "invalid fields", errors=[{"field": "since"}]) from None


def _view(doc: Doc, fields: tuple[str, ...]) -> Doc:
    view: Doc = {"id": doc["_id"]}
    for name in fields:
        if name == "timeline":
            view[name] = [{k: e.get(k) for k in _TIMELINE_FIELDS} for e in doc.get(name, [])]
        else:
            view[name] = doc.get(name)
    return view


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
