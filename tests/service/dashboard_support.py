"""Cases for the dashboard's tests, and an NGO session as the console's sign-in would start it.

Not a test module of its own; the dashboard's service and browser tests import it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from services.escalation.dashboard import COOKIE, KIND, LIFETIME
from shared.auth import issue_token
from shared.runtime import Runtime
from shared.sessions import CookiePolicy, SessionStore
from shared.store import Database
from tests.fakes import memory_bus_of
from tests.service.escalation_support import assigned, consume_downstream, updated

K = 3  # the tests' k: small enough for a handful of cases to show figures


async def publish_cases(runtime: Runtime, now: datetime) -> dict[str, Any]:
    """GZ-001: four wages cases (one acknowledged late, one resolved then disputed) and one health
    and safety case; SZ-002: three wages cases, all acknowledged on time and resolved."""
    await consume_downstream(runtime.bus)
    made: dict[str, Any] = {"gz_wages": [], "sz_wages": []}
    for index in range(4):
        case = assigned(now, phone=None, keys=runtime.keys)
        made["gz_wages"].append(case)
        await runtime.bus.publish(case)
        late = timedelta(hours=60) if index == 0 else timedelta(hours=1)
        await runtime.bus.publish(updated(case, "acknowledged", now + late))
    disputed = made["gz_wages"][1]
    await runtime.bus.publish(updated(disputed, "resolved", now + timedelta(days=2)))
    await runtime.bus.publish(updated(disputed, "disputed", now + timedelta(days=3)))
    made["gz_health"] = assigned(now, phone=None, category="health_safety", severity="high")
    await runtime.bus.publish(made["gz_health"])
    for days in (1, 2, 4):
        case = assigned(now, phone=None, factory_id="SZ-002", committee_id="sz-002-spt")
        made["sz_wages"].append(case)
        await runtime.bus.publish(case)
        await runtime.bus.publish(updated(case, "acknowledged", now + timedelta(hours=2)))
        await runtime.bus.publish(updated(case, "resolved", now + timedelta(days=days)))
    await memory_bus_of(runtime).drain()
    return made


async def ngo_session(db: Database, **token: Any) -> tuple[str, str]:
    """A fresh NGO token and a session for it, as the console's sign-in starts one: (cookie, token id)."""
    _, record = await issue_token(db, token.pop("role", "ngo"), **token)
    sessions = SessionStore(db, CookiePolicy(COOKIE, LIFETIME, secure=False))
    session = await sessions.start(KIND, record["token_id"], datetime.now(UTC), token_id=record["token_id"])
    return session.session_id, record["token_id"]


def use_session(client: TestClient[Any, Any], session_id: str) -> None:
    client.session.cookie_jar.update_cookies({COOKIE: session_id})
