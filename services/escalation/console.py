"""The NGO console: escalated cases in the browser, on escalation's port (``/console/``).

The monitor signs in with the NGO token for a session (:mod:`services.escalation.console_session`).
The list shows one row per case with all its reasons, as the API's ``?group=case`` does; a case is
found by the reference the worker quotes; its page shows the escalation's snapshot beside the case
as its record has it now. Every action calls the NGO desk (:mod:`services.escalation.desk`), the very
operations of the API, and every page is built from the API's allow-listed views, so the console
can show nothing the API would not. A case outside the token's factories is the same 404 as an
unknown reference. Every form carries the session's CSRF token; a successful action answers 303 to
the case page (a reload repeats nothing), a refused one shows the page again with the reason in
plain words. The domain errors become sentences here, once.

Acknowledge and resolve apply to every escalation of the case still open (one row per case, one
decision); a message, a transfer and a close are requests about the case, made through its latest
escalation, with a key per rendered form so a double submit is one request.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Mapping
from datetime import timedelta
from typing import Any, Literal, TypeVar, get_args
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.escalation import requests
from services.escalation.api import IDEMPOTENCY_KEY, CloseBody, MessageBody, ResolveBody, TransferBody
from services.escalation.console_format import Texts, local_time, time_left, zone, zone_label
from services.escalation.console_session import (
    NGO_RATES,
    NGO_SESSIONS,
    RATE_COUNTERS,
    SIGN_IN_LIMIT,
    Refused,
    checked_form,
    chrome,
    cookie_policy,
    refused_page,
    see_other,
    sign_in,
    sign_in_page,
    sign_out,
    signed_in,
    to_list,
    to_sign_in,
)
from services.escalation.console_texts import TEXTS
from services.escalation.desk import ChangedMeanwhile, NgoDesk
from services.escalation.escalations import Escalation, EscalationResolved, EscalationStatus
from services.escalation.store import EscalationQuery, list_case_groups
from services.escalation.views import CaseGroup, EscalationDetail, EscalationSummary
from shared import sessions
from shared.auth import Principal
from shared.contracts import EscalationReason
from shared.ids import find_reference, is_case_code, is_reference
from shared.messaging import PublishError
from shared.pages import CATALOG, page_language, render, setup_pages
from shared.privacy import Keys
from shared.ratestore import Limit, RateStore
from shared.ratestore import indexes as rate_indexes
from shared.runtime import RUNTIME
from shared.sessions import Session, SessionStore
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.validation import plain_errors, summary

PER_PAGE = 25
STATUSES: tuple[EscalationStatus, ...] = ("open", "acknowledged", "resolved")
REASONS: tuple[EscalationReason, ...] = get_args(EscalationReason)
ACTIONS = ("acknowledge", "resolve", "message", "transfer", "close")
T = TypeVar("T")

Signed = tuple[Session, Principal]


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")  # ?lang= and anything a bookmark carries
    status: Literal["open", "acknowledged", "resolved"] | None = None
    reason: EscalationReason | None = None
    page: int = Field(default=1, ge=1, le=10_000)


def setup_console(app: web.Application, settings: Settings) -> None:
    """The console's templates, texts, routes, and its session and sign-in stores once the store opens."""
    setup_pages(app, "services.escalation", TEXTS)
    app[SIGN_IN_LIMIT] = Limit("ngo_sign_in", settings.status_rate_limit, timedelta(minutes=1))

    async def stores(app: web.Application) -> AsyncIterator[None]:
        rt = app[RUNTIME]
        await ensure_indexes(rt.db, {**sessions.INDEXES, **rate_indexes(RATE_COUNTERS)})
        app[NGO_SESSIONS] = SessionStore(rt.db, cookie_policy(rt.settings))
        # Escalation holds no pseudonym key, so its counters are keyed under a secret of this process:
        # each replica counts its own sign-in attempts, and a restart starts them afresh.
        own = Keys(pseudonym_key=secrets.token_bytes(32))
        app[NGO_RATES] = RateStore(rt.db, RATE_COUNTERS, own, rt.clock)
        yield

    app.cleanup_ctx.append(stores)
    app.router.add_get("/console", to_list)
    app.router.add_get("/console/", case_list)
    app.router.add_get("/console/find", find)
    app.router.add_get("/console/sign-in", sign_in_page)
    app.router.add_post("/console/sign-in", sign_in)
    app.router.add_post("/console/sign-out", sign_out)
    app.router.add_get("/console/cases/{reference}", case_page)
    app.router.add_post("/console/cases/{reference}/{action}", act)
    # A refused action's page has the action's URL: its language link comes back here by GET.
    app.router.add_get("/console/cases/{reference}/{action}", _back_to_case)


# -- the list -------------------------------------------------------------------------------------


async def case_list(request: web.Request) -> web.Response:
    signed = await signed_in(request)
    if signed is None:
        return to_sign_in()
    _, principal = signed
    try:
        # The filter form sends "Any" as an empty value.
        query = ListQuery.model_validate({k: v for k, v in request.query.items() if v})
    except ValidationError as exc:
        return await refused_page(request, _invalid(request, exc, ListQuery, 400), signed)
    db = request.app[RUNTIME].db
    factories = None if principal.factories is None else tuple(principal.factories)
    chosen = EscalationQuery(status=query.status, reason=query.reason, factories=factories)
    groups, total = await list_case_groups(db, chosen, (query.page - 1) * PER_PAGE, PER_PAGE)
    counts = {"all": (await list_case_groups(db, EscalationQuery(factories=factories), 0, 0))[1]}
    for status in STATUSES:
        counts[status] = (await list_case_groups(db, EscalationQuery(status, None, factories), 0, 0))[1]
    place, now = _zone(request), request.app[RUNTIME].clock()
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    filters = {k: v for k, v in (("status", query.status), ("reason", query.reason)) if v}
    rows = []
    for group in groups:
        view = CaseGroup.of(group)
        latest = max(view.escalations, key=lambda e: (e.created_at, e.id))
        rows.append({"view": view, "escalated": local_time(latest.created_at, place)})
    context = {
        **chrome(signed),
        "query": query,
        "rows": rows,
        "total": total,
        "counts": counts,
        "statuses": STATUSES,
        "reasons": REASONS,
        "page": query.page,
        "pages": pages,
        "previous_url": _list_url(filters, query.page - 1) if query.page > 1 else None,
        "next_url": _list_url(filters, query.page + 1) if query.page < pages else None,
        "zone": zone_label(place, page_language(request), now),
        "label": lambda prefix, value: _label(request, prefix, value),
    }
    return await render(request, "ngo_list.html", context)


def _list_url(filters: Mapping[str, str], page: int) -> str:
    return "/console/?" + urlencode({**filters, "page": str(page)})


async def find(request: web.Request) -> web.Response:
    """The case with the reference the worker quotes: its page, else the list saying why not."""
    signed = await signed_in(request)
    if signed is None:
        return to_sign_in()
    # Any case, dash optional, blanks around: as a worker reads it out over the phone. An SMS worker
    # in China has the six-character case code only: the cases it fits.
    typed = request.query.get("reference", "")[:40]
    compact = "".join(typed.split()).upper()
    if is_case_code(compact):
        references = await _desk(request).references_for_code(signed[1], compact)
        if len(references) == 1:
            return see_other(f"/console/cases/{references[0]}")
        if references:
            return await render(
                request, "ngo_found.html", {**chrome(signed), "code": compact, "found": references}
            )
        return await refused_page(request, Refused("error.not_found", 404), signed)
    reference = find_reference(typed)
    if reference is None:
        return await refused_page(request, Refused("error.reference", 400), signed)
    if await _desk(request).case_escalations(signed[1], reference):
        return see_other(f"/console/cases/{reference}")
    return await refused_page(request, Refused("error.not_found", 404), signed)


# -- the case page ----------------------------------------------------------------------------------


async def case_page(request: web.Request) -> web.Response:
    signed = await signed_in(request)
    reference = request.match_info["reference"].upper()
    if signed is None:
        return to_sign_in(f"/console/cases/{reference}")
    try:
        escalations = await _case_escalations(request, signed[1])
    except Refused as refused:
        return await refused_page(request, refused, signed)
    done = request.query.get("done")
    return await _case(request, signed, escalations, notice=f"done.{done}" if done in _DONE else None)


async def _back_to_case(request: web.Request) -> web.Response:
    reference = request.match_info["reference"].upper()
    if not is_reference(reference):
        raise web.HTTPNotFound()
    query = {k: v for k, v in request.query.items() if k == "lang" and v in ("zh", "en")}
    return see_other(f"/console/cases/{reference}" + (f"?{urlencode(query)}" if query else ""))


async def _case_escalations(request: web.Request, principal: Principal) -> list[Escalation]:
    reference = request.match_info["reference"].upper()
    found = await _desk(request).case_escalations(principal, reference) if is_reference(reference) else []
    if not found:
        raise Refused("error.not_found", 404)
    return found


async def _case(
    request: web.Request,
    signed: Signed,
    escalations: list[Escalation],
    *,
    notice: str | None = None,
    refused: Refused | None = None,
    form: Mapping[str, str] | None = None,
) -> web.Response:
    desk, latest = _desk(request), escalations[-1]
    record = await desk.case_record(latest)
    detail = EscalationDetail.of_case(latest, record)
    now, place = desk.now(), _zone(request)
    t = _texts(request)
    live = detail.case
    closed = live is not None and live.status == "closed"
    ack_left = resolve_left = ("", False)
    if live is not None and live.status is not None and not closed:
        # A closed case waits for nothing: its deadlines say only whether a step was done.
        ack_left = time_left(live.ack_due_at, live.acknowledged_at, now, t)
        resolve_left = time_left(live.resolve_due_at, live.resolved_at, now, t)
    elif live is not None:
        ack_left = time_left(None, live.acknowledged_at, now, t)
        resolve_left = time_left(None, live.resolved_at, now, t)
    holder = live.committee_id if live is not None else detail.committee_id
    named = {c.committee_id for c in detail.conflicts}
    committees = [c for c in await desk.committees_seen(latest.factory_id) if c != holder]
    context = {
        **chrome(signed),
        "case": detail,
        "live": live,
        "escalations": [EscalationSummary.of(e) for e in escalations],
        "notes": {e.id: e.resolution_note for e in escalations},
        "unresolved": any(e.status != "resolved" for e in escalations),
        "open": any(e.status == "open" for e in escalations),
        "closed": closed,
        "ack_left": ack_left,
        "resolve_left": resolve_left,
        "committees": committees,
        "named": named,
        "local": lambda value: local_time(value, place),
        "label": lambda prefix, value: _label(request, prefix, value),
        "zone": zone_label(place, page_language(request), now),
        "notice": notice,
        "refused": refused,
        "form": form or {},
        "request_key": (form or {}).get("request_key") or secrets.token_hex(16),
    }
    return await render(request, "ngo_case.html", context, status=refused.status if refused else 200)


# -- actions ----------------------------------------------------------------------------------------


async def act(request: web.Request) -> web.Response:
    signed = await signed_in(request)
    if signed is None:
        return to_sign_in()
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    session, principal = signed
    try:
        form = await checked_form(request, session)
        escalations = await _case_escalations(request, principal)
    except Refused as refused:
        return await refused_page(request, refused, signed)
    desk, by, latest = _desk(request), principal.token_id, escalations[-1]
    reference = latest.reference
    try:
        if action == "acknowledge":
            pending = [e for e in escalations if e.status == "open"]
            if not pending and all(e.status == "resolved" for e in escalations):
                raise Refused("error.resolved", 409)
            for escalation in pending:
                await _done(desk.acknowledge(escalation, by))
        elif action == "resolve":
            body_r = _parse(request, ResolveBody, {"note": form.get("note", "")})
            pending = [e for e in escalations if e.status != "resolved"]
            if not pending:
                raise Refused("error.resolved", 409)
            for escalation in pending:
                await _done(desk.resolve(escalation, body_r.note, by))
        else:
            key = form.get("request_key", "")
            if not IDEMPOTENCY_KEY.match(key):
                raise Refused("error.csrf", 403)
            if action == "message":
                body_m = _parse(request, MessageBody, {"text": form.get("text", "")})
                await _done(desk.message(latest, body_m.text, by, key))
            elif action == "transfer":
                chosen = form.get("other_committee", "").strip() or form.get("committee_id", "")
                body_t = _parse(request, TransferBody, {"committee_id": chosen})
                await _done(desk.transfer(latest, body_t.committee_id, by, key))
            else:
                body_c = _parse(request, CloseBody, {"outcome": form.get("outcome", "")})
                await _done(desk.close(latest, body_c.outcome, by, key))
    except Refused as refused:
        # The page again as things stand now (an escalation may have moved meanwhile).
        fresh = await _desk(request).case_escalations(principal, reference) or escalations
        return await _case(request, signed, fresh, refused=refused, form=form)
    return see_other(f"/console/cases/{reference}?done={_DONE_OF[action]}")


_DONE_OF = {
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "message": "messaged",
    "transfer": "transferred",
    "close": "closed",
}
_DONE = frozenset(_DONE_OF.values())


async def _done(action: Awaitable[T]) -> T:
    """Run a desk operation; its domain errors as the sentences the page shows."""
    try:
        return await action
    except requests.Refused as exc:
        raise Refused(f"refused.{exc.code}", 409) from None
    except PublishError:
        raise Refused("error.unavailable", 503) from None
    except EscalationResolved:
        raise Refused("error.resolved", 409) from None
    except ChangedMeanwhile:
        raise Refused("error.changed", 409) from None


def _parse(request: web.Request, model: type[Any], raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(request, exc, model, 422) from None


def _invalid(request: web.Request, exc: ValidationError, model: type[Any], status: int) -> Refused:
    language = page_language(request)
    return Refused("error.invalid", status, summary(plain_errors(exc, model, language), language))


# -- helpers ----------------------------------------------------------------------------------------


def _desk(request: web.Request) -> NgoDesk:
    return NgoDesk.of(request.app[RUNTIME])


def _zone(request: web.Request) -> ZoneInfo:
    return zone(request.app[RUNTIME].settings.console_timezone)


def _texts(request: web.Request) -> Texts:
    language, catalog = page_language(request), request.app[CATALOG]

    def t(key: str, **values: Any) -> str:
        return catalog.text(language, key, **values)

    return t


def _label(request: web.Request, prefix: str, value: str | None) -> str:
    """The page's word for a value the contracts name; the value itself for one newer than the texts."""
    if value is None:
        return ""
    key = f"{prefix}.{value}"
    catalog = request.app[CATALOG]
    return catalog.text(page_language(request), key) if key in catalog.texts else value
