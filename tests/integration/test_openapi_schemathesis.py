"""Schemathesis drives each service from its OpenAPI document, against the running embedded system.

``grievance serve all`` runs as a process of its own on free ports (as ``make run`` does, with the
example registry and its tokens file), so the services are real aiohttp servers and nothing of the
test shares their process. The router's document offers one example reference and the NGO API's
one example escalation id; the test sends those of a live case (and of its escalation) in their
place. Every generated request (valid and invalid ones) must get an
answer that is not a 5xx, with a status code, media type, headers and body that the document
declares for it, and every operation that can succeed must have succeeded at least once (so the
run is not a string of 401s and 404s). Twilio's webhooks are signed with Twilio's own validator whenever the generated form
can be signed, so they get past the signature check. The run is bounded: the examples, coverage and
fuzzing phases, 12 fuzzed examples per operation (about 20 seconds for the three services).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import schemathesis
from twilio.request_validator import RequestValidator

from services.escalation import openapi as escalation_openapi
from services.intake import openapi as intake_openapi
from services.router import openapi as router_openapi
from tests.fakes import find_leaks
from tests.integration.test_embedded_run import start_embedded, wait_until_ready
from tests.polling import eventually

# A generated request of an OpenAPI operation; schemathesis types the operation with parameters of its
# own that these tests never read.
Case = schemathesis.Case[Any]
COMMITTEE = "gz-001-spt"
MAX_EXAMPLES = 12
EXAMPLE_REFERENCE = router_openapi.REFERENCE_PARAMETER["reference"]["examples"][0]
EXAMPLE_ESCALATION = escalation_openapi.ID_PARAMETER["id"]["examples"][0]
# What must have answered 2xx at least once, when its test ran (the others refuse or conflict by
# design, e.g. resolving a case twice, or a status lookup without the PIN of a generated reference).
SUCCEEDS = {
    "POST /api/v1/grievances",
    "POST /webhooks/twilio/sms",
    "GET /dev/outbox",
    "GET /healthz",
    "GET /openapi.json",
    "GET /api/v1/cases",
    "GET /api/v1/cases/{reference}",
    "GET /api/v1/escalations",
    "GET /api/v1/escalations/{id}",
    "GET /api/v1/stats",
}

WECHAT_TOKEN = "schemathesis-wechat-token-0123456789"
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES},
        # Examples, the coverage phase (each field's boundaries, valid and invalid) and fuzzing; no
        # stateful phase: the documents declare no links between operations.
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
    }
)


@dataclass
class System:
    urls: dict[str, str]
    committee_token: str
    ngo_token: str
    twilio_token: str
    reference: str
    escalation_id: str
    answers: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def record(self, service: str, case: Case, response: schemathesis.Response) -> None:
        self.answers[(service, case.operation.label, response.status_code)] += 1

    def never_succeeded(self) -> set[str]:
        """Operations of :data:`SUCCEEDS` that were exercised and never answered 2xx."""
        tried = {label for _, label, _ in self.answers}
        succeeded = {label for _, label, status in self.answers if 200 <= status < 300}
        return (SUCCEEDS & tried) - succeeded


async def _live_case(urls: dict[str, str], committee_token: str, ngo_token: str) -> tuple[str, str]:
    """A grievance through the web form, once the router shows it to its committee; and the
    escalation of one for a factory nobody knows (unroutable: the NGO's at once)."""
    intake, router, escalation = urls["intake"], urls["router"], urls["escalation"]
    async with aiohttp.ClientSession() as http:
        body = {"factory_code": "GZ-001", "text": "No overtime pay for three months", "language": "en"}
        async with http.post(f"{intake}/api/v1/grievances", json=body) as response:
            assert response.status == 202
            reference = str((await response.json())["reference"])

        async def assigned() -> bool:
            headers = {"Authorization": f"Bearer {committee_token}"}
            async with http.get(f"{router}/api/v1/cases/{reference}", headers=headers) as response:
                return response.status == 200

        await eventually(assigned, seconds=10)
        # A critical grievance escalates at once: the live escalation the NGO operations look up.
        body = {"factory_code": "GZ-001", "text": "The fire exit is locked every night", "language": "en"}
        async with http.post(f"{intake}/api/v1/grievances", json=body) as response:
            assert response.status == 202
        found: list[str] = []

        async def escalated() -> bool:
            headers = {"Authorization": f"Bearer {ngo_token}"}
            async with http.get(f"{escalation}/api/v1/escalations", headers=headers) as response:
                found[:] = [item["id"] for item in (await response.json())["items"]]
            return bool(found)

        await eventually(escalated, seconds=10)
    return reference, found[0]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """``serve all`` on free ports for the module's tests; its log holds no personal data."""
    # The status page's limiter would answer most of the run 429: the handler is under test here.
    # The generated requests all come from one client: no per-client limit may end the run early.
    # With a WeChat token the WeChat webhook checks what it is sent instead of answering 503.
    run = start_embedded(
        tmp_path_factory.mktemp("schemathesis"),
        status_rate_limit="100000",
        webform_client_limit="100000",
        webform_contact_limit="100000",
        wechat_token=WECHAT_TOKEN,
    )
    try:
        asyncio.run(wait_until_ready(run))
        tokens = run.tokens
        committee = tokens["committees"][COMMITTEE]
        reference, escalation_id = asyncio.run(_live_case(run.urls, committee, tokens["ngo"]))
        system = System(
            run.urls, committee, tokens["ngo"], tokens["twilio_auth_token"], reference, escalation_id
        )
        yield system
    finally:
        run.stop()
    assert not find_leaks(run.log()), "the services logged personal data"
    assert not system.never_succeeded(), f"never answered 2xx: {sorted(system.never_succeeded())}"


intake_schema = schemathesis.openapi.from_dict(intake_openapi.document(development=True), config=CONFIG)
router_schema = schemathesis.openapi.from_dict(router_openapi.document(), config=CONFIG)
escalation_schema = schemathesis.openapi.from_dict(escalation_openapi.document(), config=CONFIG)


def _sign(case: Case, base_url: str, token: str) -> dict[str, str]:
    """Twilio's signature of a generated webhook form (when it is a form of strings)."""
    body = case.body
    if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
        return {}
    url = base_url + case.formatted_path
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, body)}


@intake_schema.parametrize()
def test_intake_answers_every_generated_request_as_documented(case: Case, system: System) -> None:
    base = system.urls["intake"]
    signed = case.path.startswith("/webhooks/twilio/")
    headers = _sign(case, base, system.twilio_token) if signed else {}
    system.record("intake", case, case.call_and_validate(base_url=base, headers=headers))


@router_schema.parametrize()
def test_the_committee_api_answers_every_generated_request_as_documented(case: Case, system: System) -> None:
    if (case.path_parameters or {}).get("reference") == EXAMPLE_REFERENCE:
        case.path_parameters["reference"] = system.reference  # the document's example: the live case
    headers = {"Authorization": f"Bearer {system.committee_token}"}
    response = case.call_and_validate(base_url=system.urls["router"], headers=headers)
    system.record("router", case, response)


@escalation_schema.parametrize()
def test_the_ngo_api_answers_every_generated_request_as_documented(case: Case, system: System) -> None:
    if (case.path_parameters or {}).get("id") == EXAMPLE_ESCALATION:
        case.path_parameters["id"] = system.escalation_id  # the document's example: a live one
    headers = {"Authorization": f"Bearer {system.ngo_token}"}
    response = case.call_and_validate(base_url=system.urls["escalation"], headers=headers)
    system.record("escalation", case, response)
