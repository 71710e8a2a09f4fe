"""The demo's view of a running system: three base URLs, tokens, and signed Twilio webhooks.

The demo talks HTTP only, as an SMS gateway, a web browser, a committee and an NGO would. It signs
webhooks itself, the way Twilio does (HMAC-SHA1 over the public URL and the sorted parameters), with
the auth token the embedded run wrote into the tokens file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from services.cli.demo import hints
from services.cli.errors import UNAVAILABLE, CliError
from shared.ids import find_reference, grievance_id_for, reference_for

DEMO_ACCOUNT_SID = "AC" + "d3" * 16


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class DemoFailure(Exception):
    """A request the demo needed did not get the expected answer; the message says what to do."""


async def _detail(response: aiohttp.ClientResponse) -> str | None:
    """The problem+json ``detail`` of a refusal (the system's own sentence), if it sent one."""
    if response.content_type != "application/problem+json":
        return None
    try:
        body = await response.json(content_type=None)
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail)[:300] if detail else None


@dataclass
class System:
    """A running system and the credentials the demo acts with."""

    intake: str
    router: str
    escalation: str
    public_base_url: str
    twilio_auth_token: str
    committee_tokens: dict[str, str]
    ngo_token: str
    http: aiohttp.ClientSession
    outbox: bool = field(default=False)

    async def check_up(self) -> None:
        for name, url in (("intake", self.intake), ("router", self.router), ("escalation", self.escalation)):
            try:
                async with self.http.get(f"{url}/healthz") as response:
                    if response.status != 200:
                        raise CliError(
                            f"{name} at {url} does not serve (HTTP {response.status} on /healthz): it is "
                            f"not ready yet, or that URL is not {name}; wait and run the demo again, or "
                            f"pass {name}'s URL with --{name}",
                            UNAVAILABLE,
                        )
            except aiohttp.ClientError as exc:
                raise CliError(
                    f"{name} does not answer at {url} ({exc.__class__.__name__}). "
                    f"Start the system first: {hints.start()}",
                    UNAVAILABLE,
                ) from exc
        async with self.http.get(f"{self.intake}/dev/outbox", params={"limit": "1"}) as response:
            self.outbox = response.status == 200

    @asynccontextmanager
    async def _request(
        self, service: str, base: str, method: str, path: str, **kwargs: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """One request; a system that stopped answering since :meth:`check_up` is a :class:`DemoFailure`."""
        try:
            async with self.http.request(method, base + path, **kwargs) as response:
                yield response
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise DemoFailure(hints.gone(service, base, exc)) from exc

    async def sms(self, sender: str, to: str, body: str) -> str | None:
        """Deliver an SMS as Twilio would; return the reference its case gets, should it open one.

        Intake answers with an empty TwiML (the router's acknowledgement carries the reference), so
        the reference is derived from the message's ids exactly as intake derives it.
        """
        url = f"{self.public_base_url.rstrip('/')}/webhooks/twilio/sms"
        sid = "SM" + secrets.token_hex(16)
        params = {
            "MessageSid": sid,
            "AccountSid": DEMO_ACCOUNT_SID,
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": twilio_signature(self.twilio_auth_token, url, params)}
        async with self._request(
            "intake", self.intake, "POST", "/webhooks/twilio/sms", data=params, headers=headers
        ) as response:
            if response.status != 200:
                raise DemoFailure(hints.sms_refused(response.status, await _detail(response)))
            reply = await response.text()
        return find_reference(reply) or reference_for(grievance_id_for("twilio", DEMO_ACCOUNT_SID, sid))

    async def web_form(self, factory_code: str, text: str, language: str) -> dict[str, Any]:
        body = {"factory_code": factory_code, "text": text, "language": language}
        async with self._request("intake", self.intake, "POST", "/api/v1/grievances", json=body) as response:
            if response.status != 202:
                raise DemoFailure(hints.web_form_refused(response.status, await _detail(response)))
            receipt: dict[str, Any] = await response.json()
            return receipt

    async def find_case(self, reference: str) -> tuple[str, dict[str, Any]] | None:
        """The committee that holds the case, with its view of it (None if no committee has it).

        Another committee's case is a 404, and any other answer is asked again at the next poll; a
        refused token (401, 403) is a tokens file of another run, which would otherwise read as a
        case that is never routed.
        """
        for committee, token in self.committee_tokens.items():
            path = f"/api/v1/cases/{reference}"
            async with self._request("router", self.router, "GET", path, headers=_bearer(token)) as response:
                if response.status == 200:
                    case: dict[str, Any] = await response.json()
                    return committee, case
                if response.status in (401, 403):
                    raise DemoFailure(
                        hints.committee_refused(
                            committee, "the committee API", response.status, await _detail(response)
                        )
                    )
        return None

    async def committee_action(
        self, committee: str, reference: str, action: str, body: dict[str, str] | None = None
    ) -> dict[str, Any]:
        path = f"/api/v1/cases/{reference}/{action}"
        headers = _bearer(self.committee_tokens[committee])
        async with self._request(
            "router", self.router, "POST", path, json=body or {}, headers=headers
        ) as response:
            if response.status != 200:
                request = f"{action} on {reference}"
                raise DemoFailure(
                    hints.committee_refused(committee, request, response.status, await _detail(response))
                )
            case: dict[str, Any] = await response.json()
            return case

    async def escalations(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"page": str(page), "per_page": "200"}
            async with self._request(
                "escalation",
                self.escalation,
                "GET",
                "/api/v1/escalations",
                params=params,
                headers=_bearer(self.ngo_token),
            ) as response:
                if response.status != 200:
                    raise DemoFailure(hints.ngo_refused(response.status, await _detail(response)))
                data = await response.json()
            items += data["items"]
            if len(items) >= data["total"] or not data["items"]:
                return items
            page += 1

    async def outbox_purposes(self, reference: str) -> list[str]:
        """What the development channel sent the worker of a case (embedded run only)."""
        if not self.outbox:
            return []
        params = {"reference": reference, "limit": "500"}
        async with self._request("intake", self.intake, "GET", "/dev/outbox", params=params) as response:
            if response.status != 200:
                return []
            data = await response.json()
        return [str(m.get("purpose")) for m in data.get("messages", [])]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
