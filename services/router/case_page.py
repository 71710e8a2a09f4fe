"""The worker's case page (``/case/``): status, deadlines and the whole thread; reply; answer a resolution.

Every SMS, WeChat notice and web-form receipt points here. After signing in with the reference (or
case code) and the PIN (:mod:`services.router.case_session`), the worker sees their own case
through an allow-listed view (:func:`services.router.views.worker_view`): where it stands in plain
words, the deadlines in the factory's local time (the registry's zone, as the console and the SMS
texts tell times), and their messages with the committee's and the NGO's answers, never who wrote
them, the timeline's notes or the NGO's conflict records.

A reply is the worker's follow-up, the very operation an SMS follow-up takes
(:meth:`services.router.dialogue.Dialogue.follow_up`: the safety checks of a new grievance, then
the message in the thread); confirming or disputing a resolution is the SMS "YES"/"NO"
(:meth:`~services.router.dialogue.Dialogue.answer`). Each form carries the session's CSRF token and
an id drawn when the page was shown, from which the message's grievance id is derived, so a
resubmitted form adds nothing twice. A successful action answers 303 to the case (a reload repeats
nothing); a refused one shows the case again with the reason in plain words.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.router import code_sign_in
from services.router.api import Text
from services.router.appkeys import (
    CASE_SESSIONS,
    CASE_VISITOR_LIMIT,
    CASES,
    CLOCK,
    REGISTRY,
    ROUTER,
    STATUS_LIMIT,
    WORKERS,
)
from services.router.case import ACK_PENDING, RESOLUTION_PENDING, Case
from services.router.case_page_texts import TEXTS
from services.router.case_session import (
    HOME,
    VIEW,
    checked_form,
    chrome,
    cookie_policy,
    sign_in,
    sign_in_page,
    sign_out,
    signed_in,
    to_sign_in,
)
from services.router.console_format import local_time, time_left, zone, zone_label
from services.router.errors import CaseClosed, CaseNotFound, ChangedConcurrently
from services.router.views import worker_view
from shared.console_pages import Refused, see_other
from shared.ids import case_code, grievance_id_for
from shared.messaging import PublishError
from shared.pages import CATALOG, add_texts, page_language, render
from shared.ratestore import Limit
from shared.runtime import RUNTIME
from shared.sessions import Session, SessionStore
from shared.settings import Settings
from shared.store import to_ms
from shared.validation import plain_errors, summary

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
# The id a form carries so that its resubmission adds nothing twice (drawn when the page is shown).
FORM_ID = re.compile(r"^[0-9a-f]{32}$")
ANSWERS = {"confirm": "confirmed", "dispute": "disputed"}


class ReplyForm(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the CSRF token and the form id travel alongside
    text: Annotated[Text, Field(max_length=1000)]


class DisputeForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: Annotated[str, Field(max_length=1000)] = ""


def add_routes(app: web.Application) -> None:
    """The case page's texts, routes and session store (the console set up the page kit before)."""
    add_texts(app, TEXTS)
    # As many new visitors per client address as status lookups (the same setting).
    app[CASE_VISITOR_LIMIT] = Limit("case_visitor", app[STATUS_LIMIT].count, app[STATUS_LIMIT].window)
    app.router.add_get("/case", _home)
    app.router.add_get(HOME, sign_in_page)
    app.router.add_post(HOME, sign_in)
    app.router.add_get(VIEW, case_view)
    app.router.add_post("/case/reply", reply)
    app.router.add_post("/case/confirm", answer)
    app.router.add_post("/case/dispute", answer)
    app.router.add_post("/case/sign-out", sign_out)
    for path in ("/case/reply", "/case/confirm", "/case/dispute", "/case/sign-out"):
        # A refused action's page has the action's URL: its language link comes back here by GET.
        app.router.add_get(path, _back_to_case)
    code_sign_in.add_routes(app)
    app.cleanup_ctx.append(_sessions)


async def _sessions(app: web.Application) -> AsyncIterator[None]:
    """The case page's sessions, in the router's store, with their own short-lived cookie."""
    runtime = app[RUNTIME]
    app[CASE_SESSIONS] = SessionStore(runtime.db, cookie_policy(runtime.settings))
    yield


async def _home(request: web.Request) -> web.Response:
    query = {k: v for k, v in request.query.items() if k in ("ref", "code", "lang")}
    return see_other(HOME + (f"?{urlencode(query)}" if query else ""))


async def _back_to_case(request: web.Request) -> web.Response:
    query = {k: v for k, v in request.query.items() if k == "lang" and v in ("zh", "en")}
    return see_other(VIEW + (f"?{urlencode(query)}" if query else ""))


# -- the case -----------------------------------------------------------------------------------------


async def _own_case(request: web.Request, session: Session) -> Case | None:
    """The session's case; None when it is gone (the session ends with it)."""
    case = await request.app[CASES].by_id(session.subject)
    if case is None:
        await request.app[CASE_SESSIONS].end(session)
    return case


async def case_view(request: web.Request) -> web.Response:
    session = await signed_in(request)
    case = await _own_case(request, session) if session else None
    if session is None or case is None:
        return to_sign_in()
    done = request.query.get("done")
    notice = f"worker.done.{done}" if done in _DONE else None
    return await _case(request, session, case, notice=notice)


async def reply(request: web.Request) -> web.Response:
    """The worker's message, added as an SMS follow-up would add it (once per form)."""
    session = await signed_in(request)
    case = await _own_case(request, session) if session else None
    if session is None or case is None:
        return to_sign_in()
    form: Mapping[str, str] = {}
    try:
        form = await checked_form(request, session)
        form_id = _form_id(form)
        if case.status == "closed":
            raise Refused("worker.error.closed", 409)
        text = _parse(request, ReplyForm, form).text
        dialogue, now = request.app[ROUTER].dialogue, to_ms(request.app[CLOCK]())
        grievance_id = str(grievance_id_for("case-page", case.case_id, "reply", form_id))
        await _done(dialogue.follow_up(case.case_id, grievance_id=grievance_id, text=text, at=now))
    except Refused as refused:
        return await _case(request, session, case, refused=refused, form=form, failed="reply")
    return see_other(f"{VIEW}?done=replied")


async def answer(request: web.Request) -> web.Response:
    """Confirm or dispute the resolution: the SMS "YES"/"NO", once per form."""
    session = await signed_in(request)
    case = await _own_case(request, session) if session else None
    if session is None or case is None:
        return to_sign_in()
    kind: Literal["confirm", "dispute"] = "confirm" if request.path.endswith("/confirm") else "dispute"
    form: Mapping[str, str] = {}
    try:
        form = await checked_form(request, session)
        form_id = _form_id(form)
        grievance_id = str(grievance_id_for("case-page", case.case_id, kind, form_id))
        action_id = f"{grievance_id}:{kind}"
        if not any(entry.id == action_id for entry in case.timeline):  # else a resubmitted form
            if case.status != "resolved":
                raise Refused("worker.error.not_waiting", 409)
            language = page_language(request)
            given = _parse(request, DisputeForm, form).text.strip() if kind == "dispute" else ""
            text = given or request.app[CATALOG].text(language, f"worker.{kind}.default")
            reach = await request.app[WORKERS].reaches(case.reporter_key)
            dialogue, now = request.app[ROUTER].dialogue, to_ms(request.app[CLOCK]())
            after = await _done(
                dialogue.answer(case.case_id, kind, grievance_id=grievance_id, text=text, at=now, reach=reach)
            )
            if not any(entry.id == action_id for entry in after.timeline):
                raise Refused("worker.error.not_waiting", 409)  # answered another way meanwhile
    except Refused as refused:
        return await _case(request, session, case, refused=refused, form=form, failed=kind)
    return see_other(f"{VIEW}?done={ANSWERS[kind]}")


def subscribe_url(case: Case, settings: Settings) -> str | None:
    """Where a WeChat worker agrees to one notice of news on the case (intake's page), when intake
    has a one-time subscription template to send it by."""
    if case.channel != "wechat" or case.status == "closed" or not settings.wechat_subscribe_template_id:
        return None
    query = urlencode({"code": case_code(case.reference)})
    return f"{settings.public_base_url.rstrip('/')}/wechat/subscribe?{query}"


_DONE = frozenset({"replied", *ANSWERS.values()})


def _form_id(form: Mapping[str, str]) -> str:
    form_id = form.get("form_id", "")
    if not FORM_ID.match(form_id):
        raise Refused("worker.error.csrf", 403)  # not a form this page showed
    return form_id


def _parse(request: web.Request, model: type[M], form: Mapping[str, str]) -> M:
    try:
        return model.model_validate(dict(form))
    except ValidationError as exc:
        language = page_language(request)
        detail = summary(plain_errors(exc, model, language), language)
        raise Refused("worker.error.invalid", 422, detail) from None


async def _done(action: Awaitable[T]) -> T:
    """Run a dialogue operation; its errors as the sentences the page shows."""
    try:
        return await action
    except PublishError:
        raise Refused("worker.error.unavailable", 503) from None
    except CaseClosed:
        raise Refused("worker.error.closed", 409) from None
    except ChangedConcurrently:
        raise Refused("worker.error.changed", 409) from None
    except CaseNotFound:
        raise Refused("worker.error.changed", 409) from None


async def _case(
    request: web.Request,
    session: Session,
    case: Case,
    *,
    notice: str | None = None,
    refused: Refused | None = None,
    form: Mapping[str, str] | None = None,
    failed: str | None = None,
) -> web.Response:
    """The case page; after a refused action, that form (``failed``) keeps what was typed."""
    now = request.app[CLOCK]()
    view = worker_view(case, now)
    place = zone(await request.app[REGISTRY].timezone_of(case.factory_id))
    language, catalog = page_language(request), request.app[CATALOG]

    def t(key: str, **values: object) -> str:
        return catalog.text(language, key, **values)

    acknowledged = case.acknowledged_at is not None or case.status not in ACK_PENDING
    resolved = case.status not in RESOLUTION_PENDING
    ack_left, ack_missed = time_left(view["ack_due_at"], acknowledged, now, t)
    resolve_left, resolve_missed = time_left(view["resolve_due_at"], resolved, now, t)
    context = {
        **chrome(session),
        "case": view,
        "local": lambda value: local_time(value, place),
        "zone": zone_label(place, language, now),
        "ack_left": ack_left,
        "ack_missed": ack_missed,
        "resolve_left": resolve_left,
        "resolve_missed": resolve_missed,
        "notice": notice,
        "refused": refused,
        "form": form or {},
        "failed": failed,
        "form_id": secrets.token_hex(16),
        "subscribe_url": subscribe_url(case, request.app[RUNTIME].settings),
    }
    return await render(request, "case_view.html", context, status=refused.status if refused else 200)
