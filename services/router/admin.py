"""The admin API: registry, tokens and dead letters of a running system, for ``grievance`` commands.

The embedded run keeps its store and bus inside one process, so a separate ``grievance token list``
cannot reach them; this API can, and so can an operator's command against a deployment. It listens
on a port of its own (``GRIEVANCE_ADMIN_PORT``, 8083) bound to loopback by default
(``GRIEVANCE_ADMIN_HOST``), never on the router's public port, and every route wants an admin token.
Each route calls the same function as the command run directly against MongoDB or RabbitMQ.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import structlog
import yaml
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.router.registry import RegistryError, load_registry
from services.router.registry_store import RegistryStore
from services.router.token_scope import ScopeRefused, check_scope
from shared import boundedyaml
from shared.auth import INDEXES, LIFETIME, issue_token, list_tokens, require, revoke_token
from shared.bodies import read_json, read_text_body, require_content_type, validate
from shared.deadletters import inspect
from shared.listen import GuardedSite
from shared.messaging import DEAD_SUFFIX, QUEUES, Bus
from shared.runtime import Clock
from shared.store import Database, ensure_indexes
from shared.web import RUNNER_OPTIONS, Problem, json_response, new_app

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AdminParts:
    """What the admin API works on: the store (tokens, the registry), the bus (dead letters) and
    the clock (a registry load's reassignments)."""

    db: Database
    bus: Bus
    clock: Clock


ADMIN = web.AppKey("admin", AdminParts)
REGISTRY_LIMIT = 1024 * 1024  # a registry of a few hundred factories
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")
TokenId = Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]


class IssueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["committee", "ngo", "admin"]
    committee_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")] | None = None
    factories: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]] | None = None
    label: Annotated[str, Field(max_length=200)] | None = None
    lifetime_seconds: int = Field(default=int(LIFETIME.total_seconds()), ge=60, le=10 * 365 * 86400)


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(default=None, ge=1, le=10_000)


class ReplayBody(Limit):
    force: bool = False


LetterId = Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,200}$")]


class DiscardBody(BaseModel):
    """Either the ids to discard or ``all``, never both: a typo must not empty the queue."""

    model_config = ConfigDict(extra="forbid")

    ids: list[LetterId] | None = Field(default=None, min_length=1, max_length=10_000)
    all: bool = False


class _LetterRef(BaseModel):
    letter_id: LetterId


class CannotListen(RuntimeError):
    """The admin port is taken; the message names the setting that moves it."""


async def _admin(request: web.Request) -> AdminParts:
    parts = request.app[ADMIN]
    await require(request, parts.db, "admin")
    return parts


async def load(request: web.Request) -> web.Response:
    admin = await _admin(request)
    require_content_type(request, *YAML_TYPES)
    text = await read_text_body(request, REGISTRY_LIMIT)
    try:
        data = boundedyaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Problem(422, "Unprocessable Content", f"not valid YAML: {exc.__class__.__name__}") from None
    try:
        counts = await load_registry(admin.db, data, bus=admin.bus, clock=admin.clock)
    except RegistryError as exc:
        raise Problem(422, "Unprocessable Content", str(exc)) from None
    log.info("registry_loaded", **counts)
    return json_response(counts)


def _record(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in record.items()
        if k not in ("_id", "token_hash")
    }


async def tokens(request: web.Request) -> web.Response:
    admin = await _admin(request)
    return json_response({"tokens": [_record(r) for r in await list_tokens(admin.db)]})


async def issue(request: web.Request) -> web.Response:
    admin = await _admin(request)
    body = await read_json(request, IssueBody)
    if (body.role == "committee") != (body.committee_id is not None):
        raise Problem(422, "Unprocessable Content", "committee_id goes with role committee, and only with it")
    if body.factories is not None and body.role == "admin":
        raise Problem(
            422,
            "Unprocessable Content",
            "factories go with role ngo (its scope) or committee (checked against its factory) only",
        )
    try:
        await check_scope(RegistryStore(admin.db), body.committee_id, body.factories)
    except ScopeRefused as exc:
        raise Problem(422, "Unprocessable Content", exc.message, field=exc.field, value=exc.value) from None
    await ensure_indexes(admin.db, INDEXES)
    token, record = await issue_token(
        admin.db,
        body.role,
        committee_id=body.committee_id,
        factories=body.factories,
        label=body.label,
        lifetime=timedelta(seconds=body.lifetime_seconds),
    )
    log.info("token_issued", token_id=record["token_id"], role=body.role)
    return json_response({"token": token, "record": _record(record)}, status=201)


async def revoke(request: web.Request) -> web.Response:
    admin = await _admin(request)
    token_id = request.match_info["token_id"]
    validate(_TokenRef, {"token_id": token_id})
    if not await revoke_token(admin.db, token_id):
        raise Problem(404, "Not Found", "no active token with this id")
    log.info("token_revoked", token_id=token_id)
    return web.Response(status=204)


class _TokenRef(BaseModel):
    token_id: TokenId


def _queue(request: web.Request) -> str:
    name = request.match_info["queue"].removesuffix(DEAD_SUFFIX)
    if name not in QUEUES:
        raise Problem(404, "Not Found", f"no such queue; the queues are: {', '.join(QUEUES)}")
    return name


async def dead_letters(request: web.Request) -> web.Response:
    admin = await _admin(request)
    queue = _queue(request)
    limit = validate(Limit, dict(request.query)).limit or 100
    letters = await admin.bus.dead_letters(queue, limit=limit)
    return json_response({"queue": queue, "dead_letters": [asdict(letter) for letter in letters]})


async def dead_letter(request: web.Request) -> web.Response:
    """One dead letter, its body described (structure, types, sizes; never a worker's text)."""
    admin = await _admin(request)
    queue = _queue(request)
    letter_id = validate(_LetterRef, {"letter_id": request.match_info["letter_id"]}).letter_id
    found = await admin.bus.dead_letter(queue, letter_id)
    if found is None:
        raise Problem(404, "Not Found", "no dead letter with this id in the queue")
    seen = inspect(queue, *found)
    return json_response(
        {"queue": queue, "dead_letter": asdict(seen.letter), "body": seen.body, "refusal": seen.refusal}
    )


async def replay(request: web.Request) -> web.Response:
    admin = await _admin(request)
    queue = _queue(request)
    body = await read_json(request, ReplayBody) if request.can_read_body else ReplayBody()
    done = await admin.bus.replay(queue, limit=body.limit, force=body.force)
    log.info("dead_letters_replayed", queue=queue, moved=done.replayed, refused=len(done.refused))
    return json_response(
        {"queue": queue, "replayed": done.replayed, "refused": [asdict(r) for r in done.refused]}
    )


async def discard(request: web.Request) -> web.Response:
    admin = await _admin(request)
    queue = _queue(request)
    body = await read_json(request, DiscardBody)
    if (body.ids is None) == (not body.all):
        raise Problem(
            422, "Unprocessable Content", "name the dead letters (ids) or all of them (all), not both"
        )
    gone = await admin.bus.discard(queue, None if body.all else body.ids)
    log.info("dead_letters_discarded", queue=queue, discarded=gone)
    return json_response({"queue": queue, "discarded": gone})


def create_admin_app(parts: AdminParts) -> web.Application:
    app = new_app("router-admin", max_body=REGISTRY_LIMIT)
    app[ADMIN] = parts
    app.router.add_post("/admin/v1/registry", load)
    app.router.add_get("/admin/v1/tokens", tokens)
    app.router.add_post("/admin/v1/tokens", issue)
    app.router.add_delete("/admin/v1/tokens/{token_id}", revoke)
    app.router.add_get("/admin/v1/dlq/{queue}", dead_letters)
    app.router.add_post("/admin/v1/dlq/{queue}/replay", replay)
    app.router.add_post("/admin/v1/dlq/{queue}/discard", discard)
    app.router.add_get("/admin/v1/dlq/{queue}/{letter_id}", dead_letter)
    return app


def serve_admin(host: str, port: int | None, parts_of: Callable[[web.Application], AdminParts]) -> Any:
    """A cleanup context that serves the admin API on its own port while the router runs."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        if port is None:
            yield
            return
        runner = web.AppRunner(create_admin_app(parts_of(app)), **RUNNER_OPTIONS)
        await runner.setup()
        try:
            await GuardedSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            raise CannotListen(
                f"cannot listen on {host}:{port} for the admin API ({exc.strerror or exc}); "
                "set GRIEVANCE_ADMIN_PORT to a free port"
            ) from exc
        try:
            yield
        finally:
            await runner.cleanup()

    return context
