"""Helpers for intake's service, fuzz and broker tests: Twilio-signed requests, failing adapters.

Requests are signed with Twilio's own ``RequestValidator``, never with the code under test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from multidict import MultiDict
from pymongo.errors import ServerSelectionTimeoutError
from twilio.request_validator import RequestValidator

from services.intake.app import create_app
from services.intake.relay import RelayPolicy
from services.router.registry import load_registry_file
from shared.contracts import Event
from shared.messaging import Handler, PublishError, Replayed, Retry
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.fakes import WORKER_PHONE
from tests.servers import ServiceServer

TWILIO_TOKEN = "test-twilio-auth-token-0123456789"
OUTBOUND_ACCOUNT_SID = "AC" + "fedcba9876543210" * 2
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
# The URL Twilio calls (behind a proxy): deliberately not the test server's own address.
PUBLIC_BASE_URL = "https://intake.example.org"
SMS_PATH = "/webhooks/twilio/sms"
GATEWAY = "+8610690000001"
REGISTRY = Path(__file__).resolve().parents[2] / "examples" / "registry.yaml"

Pairs = Sequence[tuple[str, str]]
# A relay that looks often and backs off briefly, so tests see it work within a second or two.
FAST_RELAY = RelayPolicy(poll=0.05, backoff=Retry(base=0.05, cap=0.2), lease=timedelta(seconds=60))


def intake_settings(settings_factory: Callable[..., Settings], **overrides: Any) -> Settings:
    values: dict[str, Any] = {"twilio_auth_token": TWILIO_TOKEN, "public_base_url": PUBLIC_BASE_URL}
    values.update(overrides)
    return settings_factory(**values)


def message_sid() -> str:
    return "SM" + uuid.uuid4().hex


def sms_form(
    body: str, *, sid: str | None = None, sender: str = WORKER_PHONE, to: str = GATEWAY
) -> list[tuple[str, str]]:
    """The fields Twilio posts for an incoming SMS (a representative subset)."""
    sid = sid or message_sid()
    return [
        ("ToCountry", "CN"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", sender),
        ("To", to),
        ("Body", body),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]


def signature(
    pairs: Pairs,
    path: str = SMS_PATH,
    *,
    token: str = TWILIO_TOKEN,
    base: str = PUBLIC_BASE_URL,
    algorithm: str | None = None,
) -> str:
    return str(RequestValidator(token).compute_signature(base + path, MultiDict(pairs), algorithm=algorithm))


async def post_sms(
    client: TestClient[web.Request, web.Application],
    pairs: Pairs,
    path: str = SMS_PATH,
    *,
    headers: dict[str, str] | None = None,
    **sign: Any,
) -> ClientResponse:
    all_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(pairs, path, **sign),
    }
    all_headers.update(headers or {})
    return await client.post(path, data=urlencode(list(pairs)).encode(), headers=all_headers)


@asynccontextmanager
async def serve(
    settings: Settings, runtime: Runtime, **app_options: Any
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """Intake served over HTTP, with the example registry in its store (the web form checks codes)."""
    await load_registry_file(runtime.db, REGISTRY)
    async with TestClient(ServiceServer(create_app(settings, runtime, **app_options))) as client:
        yield client


class FailingBus:
    """A bus whose publishes fail until told otherwise (the broker is down, then comes back)."""

    def __init__(self, error: PublishError | None = None) -> None:
        self.error: PublishError | None = error or PublishError("not connected to the broker")
        self.published: list[Event] = []

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def is_ready(self) -> bool:
        return self.error is None

    async def publish(self, event: Event) -> None:
        if self.error is not None:
            raise self.error
        self.published.append(event)

    async def consume(self, queue: str, handler: Handler) -> None: ...

    async def dead_letters(self, queue: str, limit: int = 100) -> list[Any]:
        return []

    async def dead_letter(self, queue: str, letter_id: str) -> Any:
        return None

    async def replay(self, queue: str, limit: int | None = None, *, force: bool = False) -> Replayed:
        return Replayed(0)

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int:
        return 0


class LateConfirmBus(FailingBus):
    """A broker that enqueues every event but whose confirm never comes in time.

    ``published`` holds what reached the queue, though every publish raised.
    """

    def __init__(self) -> None:
        super().__init__(PublishError("broker did not confirm in time"))

    async def publish(self, event: Event) -> None:
        self.published.append(event)
        if self.error is not None:
            raise self.error


class BreakableStore:
    """A database that works until ``down`` is set; then every call fails as an unreachable server's does.

    Only what intake calls is wrapped: ``db[name]``, ``db.get_collection(...)`` and ``db.command``.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self.down = False

    def __getitem__(self, name: str) -> Any:
        return _BreakableCollection(self, self._db[name])

    def get_collection(self, name: str, **options: Any) -> Any:
        return _BreakableCollection(self, self._db.get_collection(name, **options))

    async def command(self, *args: Any, **kwargs: Any) -> Any:
        self.check()
        return await self._db.command(*args, **kwargs)

    def check(self) -> None:
        if self.down:
            raise ServerSelectionTimeoutError("the store is down (test)")


class _BreakableCollection:
    def __init__(self, owner: BreakableStore, collection: Any) -> None:
        self._owner, self._collection = owner, collection

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._collection, name)

        def checked(*args: Any, **kwargs: Any) -> Any:
            self._owner.check()
            return method(*args, **kwargs)

        return checked


class FakeTwilio:
    """A local server that speaks Twilio's Messages API and records every request it gets.

    ``script`` holds the answers to give, in order, as (status, json body, headers); when it runs
    out, every request gets 201 with a fresh message SID.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.app = web.Application()
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._messages)
        self.server = ServiceServer(self.app)

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def _messages(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append(
            {
                "account": request.match_info["sid"],
                "authorization": request.headers.get("Authorization", ""),
                "form": {k: str(v) for k, v in form.items()},
            }
        )
        if self.script:
            status, body, headers = self.script.pop(0)
            return web.json_response(body, status=status, headers=headers)
        sid = "SM" + uuid.uuid4().hex
        return web.json_response({"sid": sid, "status": "queued", "to": form.get("To")}, status=201)

    def error(self, status: int, code: int, headers: dict[str, str] | None = None) -> None:
        self.script.append((status, {"code": code, "message": "error", "status": status}, headers or {}))

    async def __aenter__(self) -> FakeTwilio:
        await self.server.start_server()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.server.close()
