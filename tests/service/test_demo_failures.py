"""The demo's failures over real HTTP: each says what went wrong and what to do next.

Intake is the real one (its signature check and web form refuse for real); the router and
escalation are a small server that answers as a system of another run would (401 to every token),
or as one whose router never routes.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.cli.demo import scenario
from services.cli.demo.client import DemoFailure, System
from services.cli.demo.story import Story
from shared.invocation import grievance
from shared.runtime import Runtime
from shared.web import problem_response
from tests.servers import ServiceServer
from tests.service.intake_support import PUBLIC_BASE_URL, TWILIO_TOKEN, intake_settings, serve

NUMBERS = {"GZ-001": ["+8610690000001", "+8610690000011"], "DG-002": ["+8610690000002"]}
NUMBERS["SZ-003"] = ["+8610690000003"]


def system(http: aiohttp.ClientSession, base: str, **overrides: Any) -> System:
    values: dict[str, Any] = {
        "intake": base,
        "router": base,
        "escalation": base,
        "public_base_url": base,
        "twilio_auth_token": TWILIO_TOKEN,
        "committee_tokens": {"gz-001-spt": "gvt_" + "a" * 43},
        "ngo_token": "gvt_" + "b" * 43,
        "http": http,
    }
    values.update(overrides)
    return System(**values)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


@pytest.fixture
async def intake(settings_factory: Callable[..., Any], runtime: Runtime) -> AsyncIterator[str]:
    async with serve(intake_settings(settings_factory), runtime) as client:
        yield str(client.make_url("")).rstrip("/")


async def test_an_sms_refused_for_its_signature_names_the_tokens_file_and_the_variable(
    intake: str, http: aiohttp.ClientSession
) -> None:
    right = system(http, intake, public_base_url=PUBLIC_BASE_URL)
    assert await right.sms("+8613812345678", NUMBERS["GZ-001"][0], "工资拖欠两个月了")

    other_run = system(http, intake, public_base_url=PUBLIC_BASE_URL, twilio_auth_token="another-runs-token")
    with pytest.raises(DemoFailure) as refused:
        await other_run.sms("+8613812345678", NUMBERS["GZ-001"][0], "工资拖欠两个月了")
    message = str(refused.value)
    assert message.startswith("the SMS webhook answered HTTP 403 (the request signature does not verify)")
    assert "probably belongs to another run" in message
    assert "--tokens FILE" in message and "GRIEVANCE_TWILIO_AUTH_TOKEN" in message
    assert "工资" not in message and "+8613812345678" not in message


async def test_a_web_form_refused_for_its_factory_names_the_registry_flag(
    intake: str, http: aiohttp.ClientSession
) -> None:
    demo = system(http, intake)
    assert (await demo.web_form("DG-002", "We work 12 hours every day.", "en"))["reference"]
    with pytest.raises(DemoFailure) as refused:
        await demo.web_form("XX-999", "We work 12 hours every day.", "en")
    message = str(refused.value)
    assert message.startswith("the web form answered HTTP 422 (There is no factory with this code.")
    assert "pass the registry file the running system loaded with --registry FILE" in message


def another_run(case_status: int = 401, action_status: int = 401) -> web.Application:
    """A router and escalation that know none of the demo's tokens (or, given, answer otherwise)."""

    async def case(request: web.Request) -> web.Response:
        return problem_response(case_status, "Refused", "no such case" if case_status == 404 else "bad token")

    async def action(request: web.Request) -> web.Response:
        return problem_response(action_status, "Refused", "the case is resolved")

    async def escalations(request: web.Request) -> web.Response:
        if case_status == 401:
            return problem_response(401, "Unauthorized", "a bearer token is needed")
        return web.json_response({"items": [], "total": 0})

    app = web.Application()
    app.router.add_get("/api/v1/cases/{reference}", case)
    app.router.add_post("/api/v1/cases/{reference}/{action}", action)
    app.router.add_get("/api/v1/escalations", escalations)
    return app


@pytest.fixture
async def elsewhere(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    statuses = getattr(request, "param", {})
    async with TestClient(ServiceServer(another_run(**statuses))) as client:
        yield str(client.make_url("")).rstrip("/")


async def test_tokens_of_another_run_are_named_not_read_as_unrouted_cases(
    elsewhere: str, http: aiohttp.ClientSession
) -> None:
    demo = system(http, elsewhere)
    with pytest.raises(DemoFailure) as refused:
        await demo.find_case("GZ-2611-ABCD")
    message = str(refused.value)
    assert message.startswith("the committee API answered HTTP 401 (bad token): the router refused")
    assert "committee gz-001-spt's token" in message and "another run" in message
    assert "--tokens FILE" in message
    with pytest.raises(DemoFailure) as refused:
        await demo.escalations()
    message = str(refused.value)
    assert message.startswith("the NGO escalation list answered HTTP 401 (a bearer token is needed)")
    assert "another run" in message and "--tokens FILE" in message
    for secret in ("a" * 43, "b" * 43):
        assert secret not in message


@pytest.mark.parametrize(
    ("elsewhere", "says"),
    [
        ({"case_status": 404, "action_status": 409}, "someone else acted on the case meanwhile"),
        ({"case_status": 404, "action_status": 404}, "is no longer committee gz-001-spt's"),
        ({"case_status": 404, "action_status": 500}, "the running system's log says why"),
        ({"case_status": 404, "action_status": 429}, "wait a minute"),
    ],
    indirect=["elsewhere"],
)
async def test_a_refused_committee_action_says_what_to_do(
    elsewhere: str, http: aiohttp.ClientSession, says: str
) -> None:
    with pytest.raises(DemoFailure) as refused:
        await system(http, elsewhere).committee_action("gz-001-spt", "GZ-2611-ABCD", "acknowledge")
    message = str(refused.value)
    assert message.startswith("acknowledge on GZ-2611-ABCD answered HTTP ")
    assert "(the case is resolved)" in message and says in message


@pytest.mark.parametrize("elsewhere", [{"case_status": 404}], indirect=True)
async def test_cases_that_are_never_routed_are_reported_at_the_routing_step(
    elsewhere: str, http: aiohttp.ClientSession
) -> None:
    out = io.StringIO()
    story = Story(system(http, elsewhere), NUMBERS, 1.0, out)
    for key, tracked in story.cases.items():
        tracked.reference = f"GZ-2611-{key[:4].upper()}"
    await story.wait_until_routed()
    (failure,) = story.failures
    assert failure.startswith("routing: not routed within 1 s: fire_exit, wages_acknowledged, ")
    assert "Check that the router runs" in failure and "grievance dlq list router.grievances" in failure
    assert failure in out.getvalue()  # said at step 2, not only in the summary

    await story.committees_act()
    assert f"{scenario.ACKNOWLEDGED}: the case was not routed (see step 2)" in story.failures[1]
    await story.wait_for_outcomes()
    assert story.advice is not None and "longer --timeout" in story.advice


async def test_a_system_that_stops_answering_says_to_start_it_again(http: aiohttp.ClientSession) -> None:
    async with TestClient(ServiceServer(another_run())) as client:
        gone = str(client.make_url("")).rstrip("/")
    with pytest.raises(DemoFailure) as refused:
        await system(http, gone).committee_action("gz-001-spt", "GZ-2611-ABCD", "acknowledge")
    message = str(refused.value)
    assert message.startswith(f"router stopped answering at {gone} (Client")
    assert f"is the system still running? Start it again ({grievance('serve all')}" in message
