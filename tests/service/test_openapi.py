"""Each service's OpenAPI document against its application: every route is documented, every
documented operation is a route, and the document is what ``/openapi.json`` serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.escalation import openapi as escalation_openapi
from services.intake import openapi as intake_openapi
from services.intake.app import create_app as intake_app
from services.router import openapi as router_openapi
from shared.bootstrap import SERVICES, Service, build_app, open_runtime
from shared.runtime import Runtime
from tests.conftest import make_settings
from tests.servers import ServiceServer

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    async with open_runtime(make_settings()) as opened:
        yield opened


# Browser pages (HTML forms for people, documented in docs/*.md) and their stylesheet are no API.
PAGES = ("/console", "/static", "/contact/", "/case")
PAGE_PATHS = ("/",)  # intake's web form


def routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every API route; HEAD is aiohttp's companion of each GET."""
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and not route.resource.canonical.startswith(PAGES)
        and route.resource.canonical not in PAGE_PATHS
    }


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path) for path, item in document["paths"].items() for method in item if method in METHODS
    }


def expected(service: Service, *, development: bool) -> dict[str, Any]:
    if service == "intake":
        return intake_openapi.document(development=development)
    return router_openapi.document() if service == "router" else escalation_openapi.document()


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_is_documented_and_every_operation_is_a_route(
    runtime: Runtime, service: Service
) -> None:
    app = build_app(service, runtime.settings, runtime)  # the embedded run: intake has /dev/outbox
    document = expected(service, development=True)
    assert routes(app) == operations(document)
    async with TestClient(ServiceServer(app)) as client:
        response = await client.get("/openapi.json")
        assert response.status == 200
        assert await response.json() == document


async def test_intake_without_the_development_channel_documents_no_outbox(runtime: Runtime) -> None:
    app = intake_app(runtime.settings, runtime, development_channel=False)
    document = intake_openapi.document(development=False)
    assert ("get", "/dev/outbox") not in operations(document)
    assert routes(app) == operations(document)


@pytest.mark.parametrize("service", SERVICES)
def test_the_documents_are_openapi_3_1_with_unique_operation_ids(service: Service) -> None:
    document = expected(service, development=True)
    assert document["openapi"] == "3.1.0"
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for item in document["paths"].values():
        for op in item.values():
            assert "default" in op["responses"] and all(
                code == "default" or 200 <= int(code) < 600 for code in op["responses"]
            )
    schemas = document["components"]["schemas"]
    text = repr(document)
    for name in schemas:
        assert f"#/components/schemas/{name}" in text, f"{name} is never referenced"
    # Nothing refers to a schema that is not there.
    import re

    for ref in re.findall(r"#/components/schemas/([A-Za-z0-9_.-]+)", text):
        assert ref in schemas, ref


def test_no_answer_documents_what_must_never_leave_a_service() -> None:
    """The answers' schemas hold no contact, reporter key, PIN hash or gateway number."""
    for document in (router_openapi.document(), escalation_openapi.document()):
        text = repr(document["components"]["schemas"])
        for secret in ("sealed_contact", "reporter_key", "pin_hash", "gateway_number"):
            assert secret not in text
