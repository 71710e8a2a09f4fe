"""Where an admin command acts: the system's store and bus directly, or a running system's admin API.

``grievance token list`` against a deployment opens MongoDB itself (``GRIEVANCE_MONGO_URL``); against
the embedded run, whose store lives inside its own process, it asks that process's admin API instead
(``--tokens FILE`` names the run's tokens file, which holds the admin token and the API's address).
Both sides offer the same operations, so each command is written once.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from services.cli.errors import CONFIG, FAILED, UNAVAILABLE, CliError
from shared import auth
from shared.deadletters import Inspection, inspect
from shared.invocation import grievance
from shared.messaging import DeadLetter, Refusal, Replayed
from shared.runtime import Runtime
from shared.store import ensure_indexes

ADMIN_TOKEN_VARIABLE = "GRIEVANCE_ADMIN_TOKEN"  # noqa: S105 - the variable's name, not a secret
NOT_ISSUED = "no token issued: "


class Admin(Protocol):
    async def load_registry(self, path: Path) -> dict[str, int]: ...

    async def issue_token(
        self,
        role: auth.Role,
        committee_id: str | None,
        factories: list[str] | None,
        label: str | None,
        lifetime: timedelta = auth.LIFETIME,
    ) -> tuple[str, dict[str, Any]]: ...

    async def revoke_token(self, token_id: str) -> bool: ...

    async def list_tokens(self) -> list[dict[str, Any]]: ...

    async def dead_letters(self, queue: str, limit: int) -> list[DeadLetter]: ...

    async def dead_letter(self, queue: str, letter_id: str) -> Inspection | None: ...

    async def replay(self, queue: str, limit: int | None, force: bool) -> Replayed: ...

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int: ...


class StoreAdmin:
    """The operations on a runtime's own store and bus."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def load_registry(self, path: Path) -> dict[str, int]:
        from services.cli.registry import load

        # No bus: this runtime's may be an in-memory twin, which would swallow the events of the
        # cases a load moves; they wait in the case outboxes for the router's periodic pass instead.
        counts: dict[str, int] = await load(self._runtime.db, path)
        return counts

    async def issue_token(
        self,
        role: auth.Role,
        committee_id: str | None,
        factories: list[str] | None,
        label: str | None,
        lifetime: timedelta = auth.LIFETIME,
    ) -> tuple[str, dict[str, Any]]:
        from services.router.registry_store import RegistryStore
        from services.router.token_scope import ScopeRefused, check_scope

        try:
            await check_scope(RegistryStore(self._runtime.db), committee_id, factories)
        except ScopeRefused as exc:
            raise CliError(f"{NOT_ISSUED}{exc.message}", FAILED) from None
        await ensure_indexes(self._runtime.db, auth.INDEXES)
        return await auth.issue_token(
            self._runtime.db,
            role,
            committee_id=committee_id,
            factories=factories,
            label=label,
            lifetime=lifetime,
        )

    async def revoke_token(self, token_id: str) -> bool:
        return await auth.revoke_token(self._runtime.db, token_id)

    async def list_tokens(self) -> list[dict[str, Any]]:
        return await auth.list_tokens(self._runtime.db)

    async def dead_letters(self, queue: str, limit: int) -> list[DeadLetter]:
        return await self._runtime.bus.dead_letters(queue, limit=limit)

    async def dead_letter(self, queue: str, letter_id: str) -> Inspection | None:
        found = await self._runtime.bus.dead_letter(queue, letter_id)
        return None if found is None else inspect(queue, *found)

    async def replay(self, queue: str, limit: int | None, force: bool) -> Replayed:
        return await self._runtime.bus.replay(queue, limit=limit, force=force)

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int:
        return await self._runtime.bus.discard(queue, letter_ids)


class RemoteAdmin:
    """The same operations through a running system's admin API (``services.router.admin``)."""

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession) -> None:
        self._base = base_url.rstrip("/") + "/admin/v1"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session = session

    async def _call(
        self, method: str, path: str, content_type: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {**self._headers, **({"Content-Type": content_type} if content_type else {})}
        try:
            async with self._session.request(
                method, self._base + path, headers=headers, **kwargs
            ) as response:
                body = await response.json(content_type=None) if response.status != 204 else None
                status = response.status
        except (aiohttp.ClientConnectionError, TimeoutError):
            raise CliError(
                f"the admin API does not answer at {self._base.removesuffix('/admin/v1')}. Is the system "
                "running (make run), and is it the one of this tokens file?",
                UNAVAILABLE,
            ) from None
        except (ValueError, aiohttp.ContentTypeError):
            raise CliError("the admin API answered something that is not JSON", UNAVAILABLE) from None
        if status == 401:
            raise CliError("the admin API refused the admin token (revoked, or another system's)", CONFIG)
        return status, body

    def _problem(self, status: int, body: Any) -> CliError:
        detail = body.get("detail") if isinstance(body, dict) else None
        return CliError(f"the admin API answered {status}: {detail or 'no detail'}", FAILED)

    async def load_registry(self, path: Path) -> dict[str, int]:
        from services.cli.registry import check_file

        check_file(path)
        content = await asyncio.to_thread(path.read_bytes)
        status, body = await self._call("POST", "/registry", "application/yaml", data=content)
        if status == 422:
            raise CliError(f"registry {str(path)!r} was not loaded: {body.get('detail')}", CONFIG)
        if status != 200:
            raise self._problem(status, body)
        return dict(body)

    async def issue_token(
        self,
        role: auth.Role,
        committee_id: str | None,
        factories: list[str] | None,
        label: str | None,
        lifetime: timedelta = auth.LIFETIME,
    ) -> tuple[str, dict[str, Any]]:
        request = {
            "role": role,
            "committee_id": committee_id,
            "factories": factories,
            "label": label,
            "lifetime_seconds": int(lifetime.total_seconds()),
        }
        status, body = await self._call("POST", "/tokens", json=request)
        if status == 422 and isinstance(body, dict) and body.get("detail"):
            raise CliError(f"{NOT_ISSUED}{body['detail']}", FAILED)
        if status != 201:
            raise self._problem(status, body)
        return str(body["token"]), dict(body["record"])

    async def revoke_token(self, token_id: str) -> bool:
        status, body = await self._call("DELETE", f"/tokens/{token_id}")
        if status in (404, 422):
            return False
        if status != 204:
            raise self._problem(status, body)
        return True

    async def list_tokens(self) -> list[dict[str, Any]]:
        status, body = await self._call("GET", "/tokens")
        if status != 200:
            raise self._problem(status, body)
        return list(body["tokens"])

    async def dead_letters(self, queue: str, limit: int) -> list[DeadLetter]:
        status, body = await self._call("GET", f"/dlq/{queue}", params={"limit": str(limit)})
        if status != 200:
            raise self._problem(status, body)
        return [DeadLetter(**letter) for letter in body["dead_letters"]]

    async def dead_letter(self, queue: str, letter_id: str) -> Inspection | None:
        status, body = await self._call("GET", f"/dlq/{queue}/{quote(letter_id, safe='')}")
        if status == 404:  # the queue is checked before: the dead letter is not there
            return None
        if status != 200:
            raise self._problem(status, body)
        return Inspection(DeadLetter(**body["dead_letter"]), body["body"], body["refusal"])

    async def replay(self, queue: str, limit: int | None, force: bool) -> Replayed:
        status, body = await self._call("POST", f"/dlq/{queue}/replay", json={"limit": limit, "force": force})
        if status != 200:
            raise self._problem(status, body)
        return Replayed(int(body["replayed"]), [Refusal(**r) for r in body["refused"]])

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int:
        request = {"all": True} if letter_ids is None else {"ids": list(letter_ids)}
        status, body = await self._call("POST", f"/dlq/{queue}/discard", json=request)
        if status != 200:
            raise self._problem(status, body)
        return int(body["discarded"])


def add_target_options(parser: Any) -> None:
    """``--tokens`` / ``--admin-url``: act through a running system's admin API instead of directly."""
    parser.add_argument(
        "--tokens",
        metavar="FILE",
        help="act on the running system of this tokens file (the embedded run's, e.g. tokens.json), "
        "through its admin API",
    )
    parser.add_argument(
        "--admin-url",
        metavar="URL",
        help=f"act through the admin API at URL (default port 8083); the token from {ADMIN_TOKEN_VARIABLE} "
        "or --tokens",
    )


def remote_target(tokens_file: str | None, admin_url: str | None) -> tuple[str, str] | None:
    """The admin API's address and token from ``--tokens`` / ``--admin-url``; None: act directly."""
    if tokens_file is None and admin_url is None:
        return None
    data: dict[str, Any] = {}
    if tokens_file is not None:
        path = Path(tokens_file)
        if not path.is_file():
            raise CliError(
                f"tokens file {tokens_file!r} does not exist; `make run` "
                f"({grievance('serve all --tokens-out FILE')}) writes it",
                CONFIG,
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    url = admin_url or data.get("admin_url")
    token = os.environ.get(ADMIN_TOKEN_VARIABLE) or data.get("admin")
    if not url:
        raise CliError("the tokens file names no admin API (the run has GRIEVANCE_ADMIN_PORT off)", CONFIG)
    if not token:
        raise CliError(f"no admin token: pass --tokens FILE or set {ADMIN_TOKEN_VARIABLE}", CONFIG)
    return str(url), str(token)
