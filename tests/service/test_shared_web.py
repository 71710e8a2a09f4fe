"""HTTP helpers through a real aiohttp server: problem+json for every way a request can be wrong."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.bodies import read_form, read_json
from shared.ops import declare_health
from shared.validation import Reason
from shared.web import MAX_BODY, json_response, new_app
from tests.conftest import LOG_FILE
from tests.fakes import WORKER_PHONE, find_leaks
from tests.servers import ServiceServer, ops_client


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z0-9-]{1,16}$")


class Shift(BaseModel):
    """A body whose validators refuse in words of their own: one in both languages, one in English."""

    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="when the shift began", examples=["08:00"])
    badge: str = "A1"

    @field_validator("start")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not re.fullmatch(r"[0-2][0-9]:[0-5][0-9]", value):
            raise Reason("must be a time of day", "应为一天中的时间")
        return value

    @field_validator("badge")
    @classmethod
    def _badge(cls, value: str) -> str:
        if not value.isalnum():
            raise ValueError("must be letters and digits only")
        return value


async def echo_shift(request: web.Request) -> web.Response:
    shift = await read_json(request, Shift, worker_facing=True)
    return json_response({"start": shift.start})


async def echo_json(request: web.Request) -> web.Response:
    note = await read_json(request, Note)
    return json_response({"code": note.code})


async def echo_form(request: web.Request) -> web.Response:
    form = await read_form(request)
    return json_response({"keys": sorted(form.keys()), "values": form.getall("a", [])})


async def echo_reference(request: web.Request) -> web.Response:
    return json_response({"reference": request.match_info["reference"]})


async def boom(_: web.Request) -> web.Response:
    raise RuntimeError("bug")


Client = TestClient[web.Request, web.Application]


@dataclass
class Served:
    """The test application's client, a client of its operational listener, and its dependency's
    readiness (which a test switches)."""

    client: Client
    ops: Client
    ready: dict[str, bool]


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    ready = {"value": True}

    async def check() -> bool:
        return ready["value"]

    app = new_app("test")
    app.router.add_get("/things/{reference}", echo_reference)
    app.router.add_post("/json", echo_json)
    app.router.add_post("/shift", echo_shift)
    app.router.add_post("/form", echo_form)
    app.router.add_get("/boom", boom)
    declare_health(app, [("dep", check)])
    async with TestClient(ServiceServer(app)) as client, ops_client(app) as ops:
        yield Served(client, ops, ready)


@pytest.fixture
def client(served: Served) -> Client:
    return served.client


async def problem(response: ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status and body["title"]
    return body


async def test_valid_json_and_form(client: Client) -> None:
    response = await client.post("/json", json={"code": "GZ-001"})
    assert response.status == 200 and (await response.json()) == {"code": "GZ-001"}
    response = await client.post("/form", data={"a": "1", "b": "2"})
    assert (await response.json())["keys"] == ["a", "b"]
    response = await client.post(
        "/form", data=b"a=1&a=2&b=", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (await response.json())["values"] == ["1", "2"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"code": "GZ"}', "text/plain", 415),
        (b"{", "application/json", 400),
        (b'{"code": "\xff"}', "application/json", 400),
        (b'{"code": "A\\u0000"}', "application/json", 400),
        (b"[1]", "application/json", 422),
        (b'{"code": {"$gt": ""}}', "application/json", 422),
        (b'{"code": "GZ", "extra": 1}', "application/json", 422),
        (b"a=%ff", "application/x-www-form-urlencoded", 400),
        (b"a=1&&&b", "application/x-www-form-urlencoded", 400),
        (b"a=%00", "application/x-www-form-urlencoded", 400),
    ],
)
async def test_hostile_bodies_get_problem_json(
    client: Client, body: Any, content_type: Any, status: Any
) -> None:
    path = "/form" if "form" in content_type else "/json"
    response = await client.post(path, data=body, headers={"Content-Type": content_type})
    details = await problem(response, status)
    if status == 422 and "errors" in details:
        assert all("$gt" not in str(e) for e in details["errors"])


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (
            {"start": "8 am"},
            {},
            "start: must be a time of day (when the shift began, for example 08:00)",
        ),
        (
            {"start": "8 am"},
            {"Accept-Language": "zh-CN"},
            "start 应为一天中的时间（例如 08:00）。",
        ),
        ({"start": "08:00", "badge": "a-1"}, {}, "badge: must be letters and digits only"),
        # A validator that gave no Chinese words is not shown in English to a Chinese reader.
        ({"start": "08:00", "badge": "a-1"}, {"Accept-Language": "zh"}, "badge 无效。"),
    ],
)
async def test_a_validators_own_words_reach_the_worker_in_their_language(
    client: Client, body: Any, headers: Any, expected: Any
) -> None:
    details = await problem(await client.post("/shift", json=body, headers=headers), 422)
    assert details["detail"] == expected
    assert [e["message"] for e in details["errors"]] == [expected]
    assert "Value error" not in json.dumps(details, ensure_ascii=False)


async def test_apis_that_are_not_worker_facing_stay_in_english(client: Client) -> None:
    for body in (b"{", b"[1]", b'{"code": 1e999}'):
        response = await client.post(
            "/json", data=body, headers={"Content-Type": "application/json", "Accept-Language": "zh-CN"}
        )
        detail = (await response.json(content_type=None))["detail"]
        assert detail.isascii() and detail.startswith(("malformed", "the body", "a number")), detail


async def test_oversized_bodies_get_413_with_and_without_content_length(client: Client) -> None:
    big = b'{"code": "' + b"A" * MAX_BODY + b'"}'
    await problem(await client.post("/json", data=big, headers={"Content-Type": "application/json"}), 413)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"A" * 8192

    response = await client.post("/json", data=chunks(), headers={"Content-Type": "application/json"})
    await problem(response, 413)


async def test_unknown_paths_methods_and_bugs_are_problem_json(client: Client) -> None:
    await problem(await client.get("/nowhere"), 404)
    response = await client.get("/json")
    await problem(response, 405)
    assert "POST" in response.headers["Allow"]
    await problem(await client.get("/boom"), 500)


async def test_request_ids_are_echoed_or_made(client: Client) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"
    response = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith junk"})
    made = response.headers["X-Request-Id"]
    assert made != "bad id\twith junk"
    more = {(await client.get("/healthz")).headers["X-Request-Id"] for _ in range(30)}
    assert made not in more and len(more) == 30
    # Letters only, so the log scrubber's phone-number patterns have nothing to look at.
    assert all(re.fullmatch(r"[a-z]{12}-[a-z]+", made_id) for made_id in more | {made})


async def test_readiness_follows_the_checks(served: Served) -> None:
    assert (await served.ops.get("/readyz")).status == 200
    served.ready["value"] = False
    response = await served.ops.get("/readyz")
    assert response.status == 503 and (await response.json())["checks"] == {"dep": False}
    assert (await served.client.get("/healthz")).status == 200
    assert (await served.ops.get("/healthz")).status == 200


async def test_metrics_count_requests_by_route_pattern_never_by_path(served: Served) -> None:
    client = served.client
    for reference in ("ABCDE-FGHJK", "KMNPQ-RSTUV"):
        assert (await client.get(f"/things/{reference}")).status == 200
    await client.get("/nowhere/13912345678")
    assert (await client.get("/metrics")).status == 404  # on the operational listener only
    response = await served.ops.get("/metrics")
    assert response.status == 200 and response.content_type == "text/plain"
    text = await response.text()
    assert "# TYPE grievance_http_requests_total counter" in text
    assert "# TYPE grievance_http_request_duration_seconds histogram" in text
    seen = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    route = (("method", "GET"), ("route", "/things/{reference}"), ("service", "test"))
    assert seen[("grievance_http_requests_total", (*route, ("status", "200")))] == 2
    assert seen[("grievance_http_request_duration_seconds_count", route)] == 2
    assert (
        "grievance_http_requests_total",
        (("method", "GET"), ("route", "unmatched"), ("service", "test"), ("status", "404")),
    ) in seen
    assert not any(value in text for value in ("ABCDE", "KMNPQ", "13912345678"))
    assert "ABCDE" not in text and "13912345678" not in text


async def test_access_log_has_one_line_per_request_without_query_or_personal_data() -> None:
    app = new_app("test")
    app.router.add_get("/things/{reference}", echo_reference)
    request_id = uuid.uuid4().hex
    async with TestClient(ServiceServer(app)) as client:
        response = await client.get(
            f"/things/{WORKER_PHONE}?pin=123456", headers={"X-Request-Id": request_id}
        )
        assert response.status == 200
    lines = [line for line in LOG_FILE.read_text(encoding="utf-8").splitlines() if request_id in line]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "http_request" and record["logger"] == "aiohttp.access"
    assert record["method"] == "GET" and record["status"] == 200 and record["duration_ms"] >= 0
    assert "pin" not in lines[0] and "123456" not in lines[0]
    assert not find_leaks(lines[0])
