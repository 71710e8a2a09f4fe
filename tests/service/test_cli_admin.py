"""Admin commands end to end on the test store and bus: tokens, dead letters, unreachable services."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.cli import run_admin
from services.cli.errors import FAILED, OK, UNAVAILABLE, USAGE
from shared.auth import authenticate
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from shared.settings import Settings


async def call(
    argv: list[str], runtime: Runtime | None, settings: Settings | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    given = settings or (runtime.settings if runtime else None)
    assert given is not None
    code = await run_admin(argv, settings=given, runtime=runtime, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_issued_tokens_authenticate_with_their_scope(runtime: Runtime) -> None:
    code, out, _ = await call(
        ["token", "issue", "--role", "committee", "--committee", "gz-001-spt", "--json"], runtime
    )
    assert code == OK
    issued = json.loads(out)
    principal = await authenticate(runtime.db, f"Bearer {issued['token']}")
    assert (principal.role, principal.committee_id, principal.token_id) == (
        "committee",
        "gz-001-spt",
        issued["token_id"],
    )

    code, out, _ = await call(
        ["token", "issue", "--role", "ngo", "--factory", "GZ-001", "--factory", "SZ-002"], runtime
    )
    assert code == OK
    token_id_line, token, note = out.splitlines()
    assert (
        token.startswith("gvt_") and "factories GZ-001, SZ-002" in token_id_line and "only its hash" in note
    )
    ngo = await authenticate(runtime.db, f"Bearer {token}")
    assert ngo.factories == ("GZ-001", "SZ-002")

    code, out, _ = await call(["token", "issue", "--role", "ngo", "--json"], runtime)
    assert (await authenticate(runtime.db, f"Bearer {json.loads(out)['token']}")).factories is None


async def test_list_shows_records_but_never_tokens(runtime: Runtime) -> None:
    _, out, _ = await call(["token", "issue", "--role", "admin", "--label", "ops on call", "--json"], runtime)
    token = json.loads(out)["token"]
    code, listing, _ = await call(["token", "list"], runtime)
    assert code == OK
    assert "ops on call" in listing and "administration" in listing and "active" in listing
    assert token not in listing and "gvt_" not in listing
    code, listing, _ = await call(["token", "list", "--json"], runtime)
    records = json.loads(listing)
    assert [r["role"] for r in records] == ["admin"]
    assert "token_hash" not in records[0] and token not in listing


async def test_revoked_token_stops_working_and_cannot_be_revoked_twice(runtime: Runtime) -> None:
    _, out, _ = await call(["token", "issue", "--role", "admin", "--json"], runtime)
    issued = json.loads(out)
    code, out, _ = await call(["token", "revoke", issued["token_id"]], runtime)
    assert code == OK and issued["token_id"] in out
    assert await runtime.db["api_tokens"].count_documents({"revoked_at": None}) == 0
    code, _, err = await call(["token", "revoke", issued["token_id"]], runtime)
    assert code == FAILED and "no active token" in err
    _, listing, _ = await call(["token", "list"], runtime)
    assert "revoked" in listing


async def test_empty_token_list_says_so(runtime: Runtime) -> None:
    assert (await call(["token", "list"], runtime))[:2] == (OK, "no tokens\n")


async def test_dlq_lists_and_replays_dead_letters(runtime: Runtime, memory_bus: MemoryBus) -> None:
    seen: list[Any] = []

    async def handler(event: Any) -> None:
        seen.append(event)

    memory_bus.inject("router.grievances", b"{not json", "grievance.received")
    memory_bus.inject("router.grievances", b"[]", "grievance.received")
    await memory_bus.consume("router.grievances", handler)
    await memory_bus.drain()

    code, out, _ = await call(["dlq", "list", "router.grievances.dead"], runtime)
    assert code == OK
    assert "2 dead letter(s) in router.grievances.dead" in out and "rejected" in out
    assert "not json" not in out  # bodies are never shown

    code, out, _ = await call(["dlq", "replay", "router.grievances", "--limit", "1"], runtime)
    assert code == OK and "replayed 1 dead letter(s)" in out
    await memory_bus.drain()  # the replayed letter is still invalid and comes back
    assert len(await memory_bus.dead_letters("router.grievances")) == 2
    assert (await call(["dlq", "list", "escalation.cases"], runtime))[
        1
    ] == "no dead letters in escalation.cases.dead\n"


async def test_dlq_rejects_unknown_queues_and_bad_limits(runtime: Runtime) -> None:
    code, _, err = await call(["dlq", "list", "router"], runtime)
    assert code == USAGE and "choose one of: router.grievances" in err
    code, _, err = await call(["dlq", "replay", "intake.outbound", "--limit", "0"], runtime)
    assert code == USAGE and "--limit" in err


async def test_unreachable_store_is_a_clear_error(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(mongo_url="mongodb://user:secret@127.0.0.1:1/")
    code, out, err = await call(["token", "list"], None, settings)
    assert code == UNAVAILABLE and out == ""
    assert "MongoDB does not answer at mongodb://127.0.0.1:1" in err and "secret" not in err


def test_unreachable_broker_is_a_clear_error() -> None:
    # In a process of its own: the kernel's bus leaves a connection waiter behind when the broker
    # never answered, which is harmless for a command that exits but not for a shared test loop.
    env = {
        **os.environ,
        "GRIEVANCE_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "GRIEVANCE_AMQP_PUBLISH_TIMEOUT": "0.5",
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "dlq", "list", "router.grievances"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == UNAVAILABLE
    assert "RabbitMQ does not answer at amqp://127.0.0.1:1" in result.stderr
    assert result.stdout == ""
