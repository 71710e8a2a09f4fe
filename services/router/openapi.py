"""The committee API's OpenAPI document (and the workers' status page), from the router's models.

The bodies and queries are the models :mod:`services.router.api` validates with. The answers are
built by :mod:`services.router.views` from allow-lists of :class:`~services.router.case.Case` fields,
so their schemas are made from the same lists and the same field types: a field added to or taken
from a view changes the document with it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, RootModel, create_model

from services.router import views
from services.router.api import ListQuery, MessageBody, RecategoriseBody, RecuseBody, ResolveBody
from services.router.case import Case, Message, TimelineEntry
from services.router.contact import ConfirmBody
from services.router.progress import Missed
from services.router.status_page import LockoutQuery, StatusBody
from shared.contracts import DeliveryReason
from shared.ids import REFERENCE_REGEX
from shared.openapi import (
    BAD_BODY,
    BAD_QUERY,
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


def _view_model(name: str, source: type[BaseModel], fields: tuple[str, ...], **extra: Any) -> type[BaseModel]:
    """A model with ``fields`` of ``source`` (their types, every one present in the answer)."""
    definitions: dict[str, Any] = {
        field: (source.model_fields[field].annotation if field in source.model_fields else Any, ...)
        for field in fields
    }
    definitions.update(extra)
    return create_model(name, **definitions)


TimelineView = _view_model("TimelineEntryView", TimelineEntry, views.TIMELINE_FIELDS)
MessageView = _view_model(
    "MessageView",
    Message,
    views.MESSAGE_FIELDS,
    delivery_status=(str | None, None),  # committee messages only: pending, sent, delivered, ...
    # committee messages only: why one did not reach the worker (null while on its way or there)
    delivery_reason=(DeliveryReason | None, None),
)
CaseSummary = _view_model("CaseSummary", Case, views.CASE_FIELDS)
CaseDetail = _view_model(
    "CaseDetail",
    Case,
    (*views.CASE_FIELDS, "text", "resolution"),
    # The view models are made at run time (create_model), which mypy cannot see as types.
    timeline=(list[TimelineView], ...),  # type: ignore[valid-type]
    messages=(list[MessageView], ...),  # type: ignore[valid-type]  # the same
    worker_contact=(views.WorkerContact, ...),  # whether a message reaches the worker, never the contact
)
StatusView = _view_model(
    "CaseStatus",
    Case,
    views.STATUS_FIELDS,
    with_independent_organisation=(bool, ...),  # the NGO holds or follows the case
    overdue=(Missed | None, ...),  # the deadline that passed unmet, if one did
    timezone=(str, ...),  # the factory's zone, in which the worker is told times
)


class Lockout(BaseModel):
    reference: str
    factory_id: str | None
    locks: int
    locked_now: bool
    locked_until: str
    last_locked_at: str
    refused_while_locked: int


class Lockouts(BaseModel):
    items: list[Lockout]
    references_without_case: int | None = None  # only for a token that sees every factory


class CaseList(BaseModel):
    items: list[CaseSummary]  # type: ignore[valid-type]  # a model made at run time, as above
    page: int
    per_page: int
    total: int


class Recused(BaseModel):
    reference: str
    recused: Literal[True]


class Recategorised(BaseModel):
    """The case left the committee (retaliation goes to the NGO): only that it is recorded."""

    reference: str
    recategorised: Literal[True]


# CaseDetail is made at run time, as above.
class CaseAfterRecategorising(RootModel[CaseDetail | Recategorised]):  # type: ignore[valid-type]
    """Either the case as the committee now sees it, or only that it left the committee."""


class ContactConfirmed(BaseModel):
    reference: str
    contact_confirmed: Literal[True]


REFERENCE_PARAMETER = {
    "reference": {"type": "string", "pattern": REFERENCE_REGEX, "examples": ["K7QMZ-3HNWP"]}
}
NOT_FOUND = problem(404, "no such case for this committee (or not a reference)")
CONFLICT = problem(409, "the case is closed, or in a state that does not allow this")
COMMITTEE = ("committees",)


def _case_action(
    name: str, path: str, summary: str, body: type[BaseModel] | None, *answers: Answer
) -> Operation:
    body_answers = BAD_BODY if body is not None else ()
    return Operation(
        "post",
        f"/api/v1/cases/{{reference}}/{path}",
        name,
        summary,
        (*answers, UNAUTHORISED, FORBIDDEN, NOT_FOUND, CONFLICT, *body_answers, UNAVAILABLE),
        tags=COMMITTEE,
        bearer=True,
        body=body,
        path_parameters=REFERENCE_PARAMETER,
    )


OPERATIONS = (
    Operation(
        "get",
        "/api/v1/cases",
        "listCases",
        "the committee's cases, newest first",
        (Answer(200, "one page of cases", CaseList), UNAUTHORISED, FORBIDDEN, BAD_QUERY),
        tags=COMMITTEE,
        bearer=True,
        query=ListQuery,
    ),
    Operation(
        "get",
        "/api/v1/cases/{reference}",
        "getCase",
        "one case: the worker's words, the timeline and the messages (never the contact)",
        (Answer(200, "the case", CaseDetail), UNAUTHORISED, FORBIDDEN, NOT_FOUND),
        tags=COMMITTEE,
        bearer=True,
        path_parameters=REFERENCE_PARAMETER,
    ),
    _case_action(
        "acknowledgeCase", "acknowledge", "acknowledge the case", None, Answer(200, "the case", CaseDetail)
    ),
    Operation(
        "post",
        "/api/v1/cases/{reference}/messages",
        "messageWorker",
        "send the worker a message (relayed by intake; the contact never reaches the committee)",
        (
            Answer(200, "the case with the message", CaseDetail, headers={"Location": "the message"}),
            problem(400, "malformed body, or an Idempotency-Key that is not 1-128 of [A-Za-z0-9._:-]"),
            UNAUTHORISED,
            FORBIDDEN,
            NOT_FOUND,
            problem(
                409,
                "the case is closed, or the message could not reach the worker: they sent STOP, or the "
                "number given on the web form is not confirmed (`worker_contact` says which)",
            ),
            *BAD_BODY[1:],
            UNAVAILABLE,
        ),
        tags=COMMITTEE,
        bearer=True,
        body=MessageBody,
        path_parameters=REFERENCE_PARAMETER,
        headers={"Idempotency-Key": {"type": "string", "description": "the same key sends one message"}},
    ),
    _case_action(
        "resolveCase", "resolve", "propose a resolution", ResolveBody, Answer(200, "the case", CaseDetail)
    ),
    _case_action(
        "recuseFromCase",
        "recuse",
        "recuse (conflict of interest)",
        RecuseBody,
        Answer(200, "recorded", Recused),
    ),
    _case_action(
        "recategoriseCase",
        "recategorise",
        "correct the category (retaliation leaves the committee)",
        RecategoriseBody,
        Answer(200, "the case, or only that it left the committee", CaseAfterRecategorising),
    ),
    Operation(
        "post",
        "/api/v1/status/{reference}",
        "caseStatus",
        "the worker's status lookup: status and deadlines, with the PIN of the receipt in the body",
        (
            Answer(200, "status and deadlines", StatusView),
            problem(404, "unknown reference, wrong PIN or a reference locked by wrong PINs (one answer)"),
            problem(429, "too many lookups from this client", {"Retry-After": "seconds to wait"}),
            problem(503, "the store cannot count the attempt just now", {"Retry-After": "seconds to wait"}),
            *BAD_BODY,
        ),
        tags=("workers",),
        path_parameters=REFERENCE_PARAMETER,
        body=StatusBody,
    ),
    Operation(
        "get",
        "/api/v1/status-lockouts",
        "statusLockouts",
        "the references locked by wrong PINs, for the NGO (bearer token of role ngo)",
        (Answer(200, "the lockouts the token's factories may see", Lockouts),),
        tags=("ngo",),
        bearer=True,
        query=LockoutQuery,
    ),
    Operation(
        "post",
        "/api/v1/contact/confirm",
        "confirmContact",
        "the worker confirms the number given on the web form with the code sent to it",
        (
            Answer(200, "the number is confirmed: replies about the case reach it", ContactConfirmed),
            problem(404, "wrong code, unknown reference, nothing to confirm, or too many codes tried"),
            problem(429, "too many attempts from this client", {"Retry-After": "seconds to wait"}),
            *BAD_BODY,
        ),
        tags=("workers",),
        body=ConfirmBody,
    ),
    HEALTHZ_OPERATION,
    OPENAPI_OPERATION,
)


@cache
def document() -> dict[str, Any]:
    return build_document(
        "grievance committee API",
        "1",
        "The committees' cases (bearer tokens of role committee), the workers' status page and the "
        "confirmation of a web form's number.",
        OPERATIONS,
    )
