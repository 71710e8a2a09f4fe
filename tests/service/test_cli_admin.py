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

from structlog.testing import capture_logs

from services.cli import run_admin
from services.cli.errors import FAILED, OK, UNAVAILABLE, USAGE
from services.router.registry import load_registry_file
from shared.auth import authenticate, list_tokens
from shared.invocation import grievance_command
from shared.memorybus import MemoryBus
from shared.messaging import Rejected
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import WORKER_PHONE
from tests.service.router_support import REGISTRY, grievance


async def call(
    argv: list[str], runtime: Runtime | None, settings: Settings | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    given = settings or (runtime.settings if runtime else None)
    assert given is not None
    code = await run_admin(argv, settings=given, runtime=runtime, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_issued_tokens_authenticate_with_their_scope(runtime: Runtime) -> None:
    await load_registry_file(runtime.db, REGISTRY)
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
        ["token", "issue", "--role", "ngo", "--factory", "GZ-001", "--factory", "SZ-003"], runtime
    )
    assert code == OK
    token_id_line, token, note = out.splitlines()
    assert (
        token.startswith("gvt_") and "factories GZ-001, SZ-003" in token_id_line and "only its hash" in note
    )
    ngo = await authenticate(runtime.db, f"Bearer {token}")
    assert ngo.factories == ("GZ-001", "SZ-003")

    code, out, _ = await call(["token", "issue", "--role", "ngo", "--json"], runtime)
    assert (await authenticate(runtime.db, f"Bearer {json.loads(out)['token']}")).factories is None


async def test_no_token_for_a_committee_or_factory_the_store_does_not_hold(runtime: Runtime) -> None:
    issue = ["token", "issue", "--role"]
    code, out, err = await call([*issue, "committee", "--committee", "gz-001-spt"], runtime)
    assert (code, out) == (FAILED, "")
    assert "no token issued: committee gz-001-spt is not in the registry; the registry has no " in err
    assert f"`{grievance_command()} registry load FILE`" in err

    await load_registry_file(runtime.db, REGISTRY)
    code, out, err = await call([*issue, "committee", "--committee", "nope"], runtime)
    assert (code, out) == (FAILED, "")
    assert err == (
        "grievance: error: no token issued: committee nope is not in the registry; the committees are: "
        "dg-002-safety, dg-002-wages, gz-001-spt, gz-001-women, sz-003-spt\n"
    )
    code, _, err = await call([*issue, "ngo", "--factory", "GZ-001", "--factory", "XX-999"], runtime)
    assert code == FAILED
    assert "factory XX-999 is not in the registry; the factories are: DG-002, GZ-001, SZ-003" in err
    code, _, err = await call(
        [*issue, "committee", "--committee", "dg-002-wages", "--factory", "GZ-001"], runtime
    )
    assert code == FAILED and "committee dg-002-wages belongs to factory DG-002, not GZ-001" in err
    assert await list_tokens(runtime.db) == []

    code, out, _ = await call(
        [*issue, "committee", "--committee", "dg-002-wages", "--factory", "DG-002", "--json"], runtime
    )
    assert code == OK
    principal = await authenticate(runtime.db, f"Bearer {json.loads(out)['token']}")
    assert (principal.committee_id, principal.factories) == ("dg-002-wages", None)


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


async def test_dlq_lists_why_and_replays_only_what_would_be_taken(
    runtime: Runtime, memory_bus: MemoryBus
) -> None:
    seen: list[Any] = []

    async def handler(event: Any) -> None:
        seen.append(event)

    memory_bus.inject("router.grievances", b"{not json", "grievance.received")
    memory_bus.inject("router.grievances", b"[]", "grievance.received")
    await memory_bus.consume("router.grievances", handler)
    with capture_logs() as lines:
        await memory_bus.drain()
    logged = {line["dead_letter_id"] for line in lines if line["event"] == "event_rejected"}

    code, out, _ = await call(["dlq", "list", "router.grievances.dead"], runtime)
    assert code == OK
    assert "2 dead letter(s) in router.grievances.dead" in out and "invalid" in out
    assert f"`{grievance_command()} dlq show router.grievances ID` describes one" in out  # works as pasted
    assert "body is not JSON: JSONDecodeError" in out and "body is not a JSON object" in out
    assert logged and all(letter_id in out for letter_id in logged)  # the log line's id is the listing's
    assert "not json" not in out  # bodies are never shown

    code, out, _ = await call(["dlq", "replay", "router.grievances", "--limit", "1"], runtime)
    assert code == OK and "replayed 0 dead letter(s)" in out and "refused 2" in out
    assert "body is not JSON: JSONDecodeError" in out and all(letter_id in out for letter_id in logged)
    assert len(await memory_bus.dead_letters("router.grievances")) == 2  # they stay
    code, out, _ = await call(["dlq", "replay", "router.grievances", "--limit", "1", "--force"], runtime)
    assert code == OK and "replayed 1 dead letter(s)" in out and "refused" not in out
    await memory_bus.drain()  # the replayed letter is still invalid and comes back
    assert len(await memory_bus.dead_letters("router.grievances")) == 2
    assert not seen
    assert (await call(["dlq", "list", "escalation.cases"], runtime))[
        1
    ] == "no dead letters in escalation.cases.dead\n"


async def test_dlq_show_describes_a_dead_letter_without_the_workers_data(
    runtime: Runtime, memory_bus: MemoryBus
) -> None:
    async def refuse(event: Any) -> None:
        raise Rejected("no factory takes this")

    event = grievance(runtime.keys, "工厂扣押我们的身份证，不让我们走", phone=WORKER_PHONE)
    await memory_bus.consume("router.grievances", refuse)
    await memory_bus.publish(event)
    await memory_bus.drain()
    (letter,) = await memory_bus.dead_letters("router.grievances")
    code, out, _ = await call(["dlq", "show", "router.grievances", letter.id], runtime)
    assert code == OK
    for private in (
        event.text,
        WORKER_PHONE,
        "13912345678",
        str(event.sealed_contact),
        str(event.reporter_key),
    ):
        assert private not in out
    assert f"dead letter    {letter.id}" in out and f"message id     {event.id}" in out
    assert "reason         rejected" in out and "error          no factory takes this" in out
    assert "replay         would be accepted" in out
    assert '"text": "<redacted: string, 16 characters>"' in out and '"reference": "' + event.reference in out
    code, _, err = await call(["dlq", "show", "router.grievances", "nope"], runtime)
    assert code == FAILED and "no dead letter 'nope'" in err


async def test_dlq_discard_by_id_or_all(runtime: Runtime, memory_bus: MemoryBus) -> None:
    async def ignore(event: Any) -> None:
        return None

    await memory_bus.consume("intake.outbound", ignore)
    for body in (b"1", b"2", b"3"):
        memory_bus.inject("intake.outbound", body)
    await memory_bus.drain()
    first, second, third = await memory_bus.dead_letters("intake.outbound")
    code, out, _ = await call(["dlq", "discard", "intake.outbound", second.id, "--yes"], runtime)
    assert code == OK and "discarded 1 dead letter(s) from intake.outbound.dead" in out
    assert [d.id for d in await memory_bus.dead_letters("intake.outbound")] == [first.id, third.id]
    code, _, err = await call(["dlq", "discard", "intake.outbound", second.id, "--yes"], runtime)
    assert code == FAILED and "no dead letter" in err
    code, _, err = await call(["dlq", "discard", "intake.outbound", "--yes"], runtime)
    assert code == USAGE and "--all" in err
    code, _, err = await call(["dlq", "discard", "intake.outbound", first.id, "--all", "--yes"], runtime)
    assert code == USAGE
    code, out, _ = await call(["dlq", "discard", "intake.outbound", "--all", "-y"], runtime)
    assert code == OK and "discarded 2" in out
    code, out, _ = await call(["dlq", "discard", "intake.outbound", "--all"], runtime)
    assert code == OK and out == "no dead letters in intake.outbound.dead\n"


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
