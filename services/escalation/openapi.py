"""The NGO API's OpenAPI document, from the escalation service's models.

Queries and bodies are the models :mod:`services.escalation.api` validates with; the escalations are
the typed views of :mod:`services.escalation.views`, which are the answers' allow-lists. The
statistics are plain figures (:mod:`services.escalation.stats`), described here.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel

from services.escalation.api import (
    ID_PATTERN,
    CloseBody,
    ListQuery,
    MessageBody,
    ResolveBody,
    StatsQuery,
    TransferBody,
)
from services.escalation.views import CaseGroup, EscalationDetail, EscalationSummary
from shared.openapi import (
    BAD_BODY,
    FORBIDDEN,
    HEALTHZ_OPERATION,
    OPENAPI_OPERATION,
    UNAUTHORISED,
    UNAVAILABLE,
    Answer,
    Operation,
    build_document,
    problem,
)


class EscalationList(BaseModel):
    # Escalations; with ``group=case``, cases, each with its escalations.
    items: list[EscalationSummary] | list[CaseGroup]
    page: int
    per_page: int
    total: int


class Accepted(BaseModel):
    """A request of the NGO, queued for the router, which owns the case and carries it out."""

    request_id: str
    type: str
    status: str


class Figures(BaseModel):
    """What is counted for one group of cases (percentages and the median are null without cases)."""

    received: int
    acknowledged_on_time_pct: float | None
    resolved_on_time_pct: float | None
    median_days_to_resolve: float | None
    escalated: int
    disputed: int
    # Cases a dispute (or a reopen) sent back to work after a resolution.
    reopened: int


class GroupFigures(Figures):
    factory_id: str | None
    category: str


class FactoryFigures(Figures):
    factory_id: str | None


class Stats(BaseModel):
    groups: list[GroupFigures]
    factories: list[FactoryFigures]
    total: Figures
    since: datetime | None


ID_PARAMETER = {
    "id": {"type": "string", "pattern": ID_PATTERN, "examples": ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"]}
}
NOT_FOUND = problem(404, "no such escalation among the token's factories")
CONFLICT = problem(409, "the escalation is already resolved, or changed meanwhile")
BAD_QUERY = problem(400, "a query parameter is repeated")
INVALID_QUERY = problem(422, "a query parameter is not what the operation expects")
NGO = ("ngo",)
GUARDED = (UNAUTHORISED, FORBIDDEN)
IDEMPOTENCY = {
    "Idempotency-Key": {
        "type": "string",
        "description": "the same key is the same request; without one, the same content is",
    }
}
BAD_KEY = problem(400, "the body is malformed, or the Idempotency-Key is not 1-128 of [A-Za-z0-9._:-]")
REFUSED = problem(
    409, "the case is closed, or not known yet, or (for a message) the worker cannot be reached"
)


def _case_request(name: str, path: str, summary: str, body: type[BaseModel]) -> Operation:
    return Operation(
        "post",
        f"/api/v1/escalations/{{id}}/{path}",
        name,
        summary,
        (
            Answer(202, "queued for the router, which carries it out", Accepted),
            BAD_KEY,
            *GUARDED,
            NOT_FOUND,
            REFUSED,
            *BAD_BODY[1:],
            UNAVAILABLE,
        ),
        tags=NGO,
        bearer=True,
        body=body,
        path_parameters=ID_PARAMETER,
        headers=IDEMPOTENCY,
    )


OPERATIONS = (
    Operation(
        "get",
        "/api/v1/escalations",
        "listEscalations",
        "escalations of the token's factories, newest first (`reference`: one case's; `group=case`: "
        "one row per case with every reason, the case of the latest escalation first)",
        (Answer(200, "one page of escalations", EscalationList), *GUARDED, BAD_QUERY, INVALID_QUERY),
        tags=NGO,
        bearer=True,
        query=ListQuery,
    ),
    Operation(
        "get",
        "/api/v1/escalations/{id}",
        "getEscalation",
        "one escalation, with the worker's words and the case as it is now",
        (Answer(200, "the escalation", EscalationDetail), *GUARDED, NOT_FOUND),
        tags=NGO,
        bearer=True,
        path_parameters=ID_PARAMETER,
    ),
    Operation(
        "post",
        "/api/v1/escalations/{id}/acknowledge",
        "acknowledgeEscalation",
        "acknowledge an escalation",
        (Answer(200, "the escalation", EscalationDetail), *GUARDED, NOT_FOUND, CONFLICT),
        tags=NGO,
        bearer=True,
        path_parameters=ID_PARAMETER,
    ),
    Operation(
        "post",
        "/api/v1/escalations/{id}/resolve",
        "resolveEscalation",
        "resolve an escalation with a note",
        (Answer(200, "the escalation", EscalationDetail), *GUARDED, NOT_FOUND, CONFLICT, *BAD_BODY),
        tags=NGO,
        bearer=True,
        body=ResolveBody,
        path_parameters=ID_PARAMETER,
    ),
    _case_request(
        "messageWorker",
        "messages",
        "write to the worker: relayed like a committee reply, marked as the monitor's, kept in the thread",
        MessageBody,
    ),
    _case_request(
        "transferCase",
        "transfer",
        "hand the case to a committee of its factory (active, handling the category, none of whose "
        "members the worker's messages may name; the router refuses any other and the case stays)",
        TransferBody,
    ),
    _case_request(
        "closeCase",
        "close",
        "close the case with an outcome the worker is told; the escalation is resolved with it",
        CloseBody,
    ),
    Operation(
        "get",
        "/api/v1/stats",
        "stats",
        "programme figures per factory and category (`since`: a date, or a date and time with offset)",
        (Answer(200, "the figures", Stats), *GUARDED, BAD_QUERY, INVALID_QUERY),
        tags=NGO,
        bearer=True,
        query=StatsQuery,
    ),
    HEALTHZ_OPERATION,
    OPENAPI_OPERATION,
)


@cache
def document() -> dict[str, Any]:
    return build_document(
        "grievance NGO API",
        "1",
        "Escalations and programme statistics for the NGO (bearer tokens of role ngo or admin).",
        OPERATIONS,
    )
