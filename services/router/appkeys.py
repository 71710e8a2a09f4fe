"""The router application's typed keys, declared once: what the composition root hands the views.

:func:`services.router.app.create_app` sets them when the runtime's adapters are open; the views
in :mod:`services.router.api` take from them exactly what they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from services.router.case_store import CaseStore
from services.router.desk import CommitteeDesk
from services.router.outbox import Outbox
from services.router.registry_store import RegistryStore
from services.router.sign_in_code_store import SignInCodes
from services.router.status_store import StatusAttempts
from services.router.views import Rounding
from services.router.worker_store import WorkerStore
from shared.privacy import Keys
from shared.ratestore import Limit, RateStore
from shared.runtime import Clock
from shared.sessions import SessionStore
from shared.sla import SlaTable
from shared.store import Database

if TYPE_CHECKING:  # the composition root imports these keys
    from services.router.app import Router

CASES = web.AppKey("cases", CaseStore)
REGISTRY = web.AppKey("registry", RegistryStore)
WORKERS = web.AppKey("workers", WorkerStore)
OUTBOX = web.AppKey("outbox", Outbox)
SLA = web.AppKey("sla", SlaTable)
PRIVACY_KEYS = web.AppKey("privacy_keys", Keys)
# The public status lookup: the per-client limit (counted in the store) and the per-reference lock.
RATES = web.AppKey("rates", RateStore)
STATUS_LIMIT = web.AppKey("status_limit", Limit)
STATUS_ATTEMPTS = web.AppKey("status_attempts", StatusAttempts)
# Confirmation codes tried per client address (the store counts per case as well).
CONFIRM_LIMIT = web.AppKey("confirm_limit", Limit)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
# The committee's operations, shared by the API and the console.
DESK = web.AppKey("desk", CommitteeDesk)
# How coarse the times are that a committee sees of when the worker did something.
TIME_ROUNDING: web.AppKey[Rounding] = web.AppKey("time_rounding")
# The tokens of shared.auth live in the same database; the views only authenticate against it.
TOKENS_DB: web.AppKey[Database] = web.AppKey("tokens_db")
# The committee console's browser sessions (services.router.console), and the sign-ins (new
# visitors and tokens tried) allowed per client address.
CONSOLE_SESSIONS = web.AppKey("console_sessions", SessionStore)
SIGN_IN_LIMIT = web.AppKey("sign_in_limit", Limit)
# Every part of the router as the composition root wired it (the consumer, the periodic pass, ...).
ROUTER: web.AppKey[Router] = web.AppKey("router")
# The worker's case page (services.router.case_page): its short sessions, and the new visitors of
# its sign-in page allowed per client address (each is a stored session).
CASE_SESSIONS = web.AppKey("case_sessions", SessionStore)
CASE_VISITOR_LIMIT = web.AppKey("case_visitor_limit", Limit)
# One-time sign-in codes of the case page (services.router.sign_in_code_store), and the codes a client
# address may ask for.
SIGN_IN_CODES = web.AppKey("sign_in_codes", SignInCodes)
CODE_REQUEST_LIMIT = web.AppKey("code_request_limit", Limit)
