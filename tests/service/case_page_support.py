"""Helpers for the worker case page's tests: a case with a PIN, signing in over HTTP, reading forms.

Not a test module of its own; the case page's service and browser tests import it.
"""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from shared.contracts import Channel, GrievanceReceived
from shared.ids import reference_for
from shared.privacy import pin_for, pin_hash
from shared.runtime import Runtime
from tests.fakes import memory_bus_of
from tests.service.router_support import GZ_NUMBER, grievance

_FIELD = r'name="{name}" value="([^"]*)"'


def field_of(page: str, name: str) -> str:
    found = re.search(_FIELD.format(name=name), page)
    assert found is not None, f"the page has no {name} field"
    return html.unescape(found.group(1))


async def case_with_pin(
    runtime: Runtime, text: str, *, channel: Channel = "web", phone: str | None = None
) -> tuple[GrievanceReceived, str]:
    """A grievance with its PIN (as intake gives a web worker one), its case stored by the router."""
    event = grievance(
        runtime.keys,
        text,
        channel=channel,
        to=GZ_NUMBER if channel == "sms" else None,
        factory_hint="GZ-001",
        phone=phone,
    )
    pin = pin_for(runtime.keys, str(event.grievance_id))
    reference = reference_for(event.grievance_id)
    event = event.model_copy(update={"pin_hash": pin_hash(runtime.keys, reference, pin)})
    await runtime.bus.publish(event)
    await memory_bus_of(runtime).drain()
    return event, pin


async def sign_in(
    client: TestClient[Any, Any],
    entered: str,
    pin: str,
    *,
    language: str = "zh",
    address: str = "198.51.100.7",
) -> ClientResponse:
    """Open the sign-in page and send the reference (or code) and PIN with its form (303 when accepted)."""
    headers = {"X-Forwarded-For": address}
    page = await client.get(f"/case/?lang={language}", headers=headers)
    assert page.status == 200, page.status
    form = {"csrf": field_of(await page.text(), "csrf"), "case": entered, "pin": pin}
    return await client.post("/case/", data=form, headers=headers, allow_redirects=False)


async def case_page(client: TestClient[Any, Any]) -> tuple[str, str, str]:
    """The signed-in case page's text, its CSRF token and its form id."""
    response = await client.get("/case/view")
    assert response.status == 200, response.status
    text = await response.text()
    return text, field_of(text, "csrf"), field_of(text, "form_id")
