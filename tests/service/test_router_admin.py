"""The admin API on its own listener, and the admin commands that act through it."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.cli import run_admin
from services.cli.errors import CONFIG, FAILED, OK, UNAVAILABLE, USAGE
from services.router.admin import AdminParts, create_admin_app
from shared.auth import authenticate, issue_token, list_tokens
from shared.contracts import Event
from shared.invocation import grievance
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from tests.fakes import memory_bus_of
from tests.servers import ServiceServer
from tests.service.router_support import REGISTRY, bearer, committee_tokens

ROOT = Path(__file__).resolve().parents[2]


async def ignore(_: Event) -> None:
    """A consumer for a queue whose dead letters a test needs: the garbage never reaches it."""


AdminClient = TestClient[web.Request, web.Application]
# The admin API's client, and a token for each committee, the NGO and an admin.
Admin = tuple[AdminClient, dict[str, str]]


@pytest.fixture
async def admin(runtime: Runtime) -> AsyncIterator[Admin]:
    tokens = await committee_tokens(runtime)
    async with TestClient(
        ServiceServer(create_admin_app(AdminParts(runtime.db, runtime.bus, runtime.clock)))
    ) as client:
        yield client, tokens


async def test_every_route_wants_an_admin_token(admin: Admin) -> None:
    client, tokens = admin
    routes = [
        ("GET", "/admin/v1/tokens"),
        ("POST", "/admin/v1/tokens"),
        ("DELETE", "/admin/v1/tokens/0123456789ab"),
        ("POST", "/admin/v1/registry"),
        ("GET", "/admin/v1/dlq/router.grievances"),
        ("GET", "/admin/v1/dlq/router.grievances/0123456789ab"),
        ("POST", "/admin/v1/dlq/router.grievances/replay"),
        ("POST", "/admin/v1/dlq/router.grievances/discard"),
    ]
    for method, path in routes:
        assert (await client.request(method, path)).status == 401
        for role in ("gz-001-spt", "ngo"):
            response = await client.request(method, path, headers=bearer(tokens[role]))
            assert response.status == 403, (method, path, role)


async def test_tokens_are_issued_listed_and_revoked(admin: Admin, runtime: Runtime) -> None:
    client, tokens = admin
    own = bearer(tokens["admin"])
    response = await client.post(
        "/admin/v1/tokens", json={"role": "ngo", "factories": ["GZ-001"], "label": "monitor"}, headers=own
    )
    assert response.status == 201
    issued = await response.json()
    principal = await authenticate(runtime.db, f"Bearer {issued['token']}")
    assert (principal.role, principal.factories) == ("ngo", ("GZ-001",))

    listed = (await (await client.get("/admin/v1/tokens", headers=own)).json())["tokens"]
    assert issued["record"]["token_id"] in {r["token_id"] for r in listed}
    assert issued["token"] not in json.dumps(listed) and "token_hash" not in json.dumps(listed)

    token_id = issued["record"]["token_id"]
    assert (await client.delete(f"/admin/v1/tokens/{token_id}", headers=own)).status == 204
    assert (await client.delete(f"/admin/v1/tokens/{token_id}", headers=own)).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"role": "committee"},
        {"role": "ngo", "committee_id": "gz-001-spt"},
        {"role": "admin", "factories": ["GZ-001"]},
        {"role": "root"},
        {"role": "ngo", "factories": [{"$gt": ""}]},
        {"role": "ngo", "extra": 1},
    ],
)
async def test_scopes_that_make_no_sense_are_refused(admin: Admin, body: dict[str, Any]) -> None:
    client, tokens = admin
    response = await client.post("/admin/v1/tokens", json=body, headers=bearer(tokens["admin"]))
    assert response.status == 422 and response.content_type == "application/problem+json"


async def issue_problem(client: AdminClient, admin_token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/admin/v1/tokens", json=body, headers=bearer(admin_token))
    assert (response.status, response.content_type) == (422, "application/problem+json"), body
    problem: dict[str, Any] = await response.json(content_type=None)
    return problem


async def test_no_token_for_a_committee_or_factory_the_registry_does_not_hold(
    admin: Admin, runtime: Runtime
) -> None:
    client, tokens = admin
    before = len(await list_tokens(runtime.db))
    problem = await issue_problem(client, tokens["admin"], {"role": "committee", "committee_id": "nope"})
    assert problem["detail"] == (
        "committee nope is not in the registry; the committees are: dg-002-safety, dg-002-wages, "
        "gz-001-spt, gz-001-women, sz-003-spt"
    )
    assert (problem["field"], problem["value"]) == ("committee_id", "nope")

    problem = await issue_problem(client, tokens["admin"], {"role": "ngo", "factories": ["GZ-001", "XX-999"]})
    assert problem["detail"] == (
        "factory XX-999 is not in the registry; the factories are: DG-002, GZ-001, SZ-003"
    )
    assert (problem["field"], problem["value"]) == ("factories", "XX-999")
    problem = await issue_problem(client, tokens["admin"], {"role": "ngo", "factories": ["XX-1", "gz-001"]})
    assert problem["detail"].startswith("factories XX-1, gz-001 are not in the registry")

    mismatch = {"role": "committee", "committee_id": "gz-001-spt", "factories": ["DG-002"]}
    problem = await issue_problem(client, tokens["admin"], mismatch)
    assert problem["detail"] == "committee gz-001-spt belongs to factory GZ-001, not DG-002"
    assert (problem["field"], problem["value"]) == ("factories", "DG-002")
    assert len(await list_tokens(runtime.db)) == before  # nothing was issued

    matching = {"role": "committee", "committee_id": "gz-001-spt", "factories": ["GZ-001"]}
    response = await client.post("/admin/v1/tokens", json=matching, headers=bearer(tokens["admin"]))
    assert response.status == 201
    principal = await authenticate(runtime.db, f"Bearer {(await response.json())['token']}")
    assert (principal.role, principal.committee_id) == ("committee", "gz-001-spt")


async def test_an_empty_registry_says_how_to_fill_it(runtime: Runtime) -> None:
    admin_token, _ = await issue_token(runtime.db, "admin")
    async with TestClient(
        ServiceServer(create_admin_app(AdminParts(runtime.db, runtime.bus, runtime.clock)))
    ) as client:
        problem = await issue_problem(
            client, admin_token, {"role": "committee", "committee_id": "gz-001-spt"}
        )
        assert problem["detail"] == (
            "committee gz-001-spt is not in the registry; the registry has no committees yet: "
            f"load one with `{grievance('registry load FILE')}`"
        )
        problem = await issue_problem(client, admin_token, {"role": "ngo", "factories": ["GZ-001"]})
        assert "the registry has no factories yet" in problem["detail"]


async def test_a_bad_token_id_is_not_found(admin: Admin) -> None:
    client, tokens = admin
    for token_id in ("nope", "0123456789ab", "%24gt"):
        response = await client.delete(f"/admin/v1/tokens/{token_id}", headers=bearer(tokens["admin"]))
        assert response.status in (404, 422)


async def test_the_registry_loads_from_yaml_and_refuses_what_it_cannot_load(admin: Admin) -> None:
    client, tokens = admin
    headers = {**bearer(tokens["admin"]), "Content-Type": "application/yaml"}
    response = await client.post("/admin/v1/registry", data=REGISTRY.read_bytes(), headers=headers)
    assert response.status == 200
    assert (await response.json())["factories_unchanged"] >= 1
    for broken in (b"factories: [", b"factories: []", b"- just a list"):
        response = await client.post("/admin/v1/registry", data=broken, headers=headers)
        assert response.status == 422, broken
    json_body = {**bearer(tokens["admin"]), "Content-Type": "application/json"}
    assert (await client.post("/admin/v1/registry", data=b"{}", headers=json_body)).status == 415


async def test_dead_letters_are_listed_shown_replayed_and_discarded(
    admin: Admin, memory_bus: MemoryBus
) -> None:
    client, tokens = admin
    own = bearer(tokens["admin"])
    await memory_bus.consume("router.grievances", ignore)
    memory_bus.inject("router.grievances", b"not json at all")
    await memory_bus.drain()
    listed = await (await client.get("/admin/v1/dlq/router.grievances.dead", headers=own)).json()
    ((letter),) = listed["dead_letters"]
    assert (letter["size"], letter["reason"], letter["error"]) == (
        15,
        "invalid",
        "body is not JSON: JSONDecodeError",
    )

    shown = await client.get(f"/admin/v1/dlq/router.grievances/{letter['id']}", headers=own)
    assert shown.status == 200
    assert await shown.json() == {
        "queue": "router.grievances",
        "dead_letter": letter,
        "body": "<not JSON: 15 bytes>",
        "refusal": "body is not JSON: JSONDecodeError",
    }
    assert (await client.get("/admin/v1/dlq/router.grievances/nope", headers=own)).status == 404
    for hostile in ("a%20b", "%E5%B7%A5", "x" * 201):
        response = await client.get(f"/admin/v1/dlq/router.grievances/{hostile}", headers=own)
        assert (response.status, response.content_type) == (422, "application/problem+json"), hostile

    replayed = await client.post("/admin/v1/dlq/router.grievances/replay", json={"limit": 5}, headers=own)
    assert await replayed.json() == {
        "queue": "router.grievances",
        "replayed": 0,
        "refused": [{"id": letter["id"], "reason": "body is not JSON: JSONDecodeError"}],
    }
    forced = await client.post("/admin/v1/dlq/router.grievances/replay", json={"force": True}, headers=own)
    assert (await forced.json())["replayed"] == 1
    await memory_bus.drain()  # back it comes, under a new id

    discard = "/admin/v1/dlq/router.grievances/discard"
    wrong: dict[str, Any]
    for wrong in ({}, {"ids": []}, {"ids": ["a"], "all": True}, {"all": False}, {"ids": [{"$gt": ""}]}):
        response = await client.post(discard, json=wrong, headers=own)
        assert response.status == 422, wrong
    assert (await (await client.post(discard, json={"ids": [letter["id"]]}, headers=own)).json())[
        "discarded"
    ] == 0
    assert (await (await client.post(discard, json={"all": True}, headers=own)).json())["discarded"] == 1
    assert (await client.get("/admin/v1/dlq/nothing", headers=own)).status == 404
    assert (await client.get("/admin/v1/dlq/router.grievances?limit=0", headers=own)).status == 422


# -- the commands, pointed at a running system ----------------------------------------------------------


async def command(argv: list[str], runtime: Runtime) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_admin(argv, settings=runtime.settings, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def tokens_file(tmp_path: Path, client: AdminClient, admin_token: str) -> str:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"admin": admin_token, "admin_url": str(client.make_url(""))}))
    return str(path)


async def test_every_admin_command_works_through_the_admin_api(
    admin: Admin, runtime: Runtime, tmp_path: Path
) -> None:
    client, tokens = admin
    remote = ["--tokens", tokens_file(tmp_path, client, tokens["admin"])]

    code, out, err = await command(["registry", "load", str(REGISTRY), *remote], runtime)
    assert code == OK and "factories_unchanged" in out, err

    code, out, _ = await command(["token", "issue", "--role", "admin", "--json", *remote], runtime)
    issued = json.loads(out)
    assert code == OK and (await authenticate(runtime.db, f"Bearer {issued['token']}")).role == "admin"

    code, out, _ = await command(["token", "list", *remote], runtime)
    assert code == OK and issued["token_id"] in out and issued["token"] not in out

    assert (await command(["token", "revoke", issued["token_id"], *remote], runtime))[0] == OK
    code, _, err = await command(["token", "revoke", issued["token_id"], *remote], runtime)
    assert code == FAILED and "no active token" in err

    await runtime.bus.consume("intake.outbound", ignore)
    memory_bus_of(runtime).inject("intake.outbound", b"{}")
    await memory_bus_of(runtime).drain()
    code, out, _ = await command(["dlq", "list", "intake.outbound", *remote], runtime)
    assert code == OK and "1 dead letter(s)" in out and "invalid  unknown event type" in out
    (letter,) = await runtime.bus.dead_letters("intake.outbound")
    code, out, _ = await command(["dlq", "show", "intake.outbound", letter.id, *remote], runtime)
    assert code == OK and "would be refused: unknown event type" in out and "body" in out
    code, _, err = await command(["dlq", "show", "intake.outbound", "nope", *remote], runtime)
    assert code == FAILED and "no dead letter" in err
    code, out, _ = await command(["dlq", "replay", "intake.outbound", *remote], runtime)
    assert code == OK and "replayed 0" in out and f"{letter.id}: unknown event type" in out
    code, out, _ = await command(["dlq", "replay", "intake.outbound", "--force", *remote], runtime)
    assert code == OK and "replayed 1" in out
    await memory_bus_of(runtime).drain()
    code, out, _ = await command(["dlq", "discard", "intake.outbound", "--all", "--yes", *remote], runtime)
    assert code == OK and "discarded 1" in out


async def test_token_issue_through_the_admin_api_refuses_what_the_registry_does_not_hold(
    admin: Admin, runtime: Runtime, tmp_path: Path
) -> None:
    client, tokens = admin
    remote = ["--tokens", tokens_file(tmp_path, client, tokens["admin"])]
    before = len(await list_tokens(runtime.db))
    code, out, err = await command(
        ["token", "issue", "--role", "committee", "--committee", "nope", *remote], runtime
    )
    assert (code, out) == (FAILED, "")
    assert "no token issued: committee nope is not in the registry; the committees are: dg-002-safety" in err
    code, _, err = await command(["token", "issue", "--role", "ngo", "--factory", "XX-999", *remote], runtime)
    assert code == FAILED
    assert "no token issued: factory XX-999 is not in the registry; the factories are: DG-002, GZ-001" in err
    argv = ["token", "issue", "--role", "committee", "--committee", "sz-003-spt", "--factory", "GZ-001"]
    code, _, err = await command([*argv, *remote], runtime)
    assert code == FAILED and "committee sz-003-spt belongs to factory SZ-003, not GZ-001" in err
    assert len(await list_tokens(runtime.db)) == before
    code, _, err = await command(
        ["token", "issue", "--role", "admin", "--factory", "GZ-001", *remote], runtime
    )
    assert code == USAGE and "--factory is only for --role ngo" in err


async def test_a_system_that_is_not_running_or_a_wrong_token_says_so(
    admin: Admin, runtime: Runtime, tmp_path: Path
) -> None:
    client, tokens = admin
    wrong = ["--tokens", tokens_file(tmp_path, client, tokens["ngo"])]
    code, _, err = await command(["token", "list", *wrong], runtime)
    assert code == FAILED and "403" in err
    revoked = tmp_path / "revoked.json"
    revoked.write_text(json.dumps({"admin": "gvt_" + "x" * 43, "admin_url": str(client.make_url(""))}))
    code, _, err = await command(["token", "list", "--tokens", str(revoked)], runtime)
    assert code == CONFIG and "refused the admin token" in err
    gone = tmp_path / "gone.json"
    gone.write_text(json.dumps({"admin": tokens["admin"], "admin_url": "http://127.0.0.1:1"}))
    code, _, err = await command(["token", "list", "--tokens", str(gone)], runtime)
    assert code == UNAVAILABLE and "does not answer" in err
    code, _, err = await command(["token", "list", "--tokens", str(tmp_path / "none.json")], runtime)
    assert code == CONFIG and "does not exist" in err


async def test_a_token_is_issued_for_a_lifetime_and_the_list_says_when_it_ends(
    admin: Admin, runtime: Runtime, tmp_path: Path
) -> None:
    client, tokens = admin
    remote = ["--tokens", tokens_file(tmp_path, client, tokens["admin"])]
    code, out, _ = await command(
        ["token", "issue", "--role", "ngo", "--lifetime", "90 days", *remote], runtime
    )
    assert code == OK and "expires: " in out
    listed = (await (await client.get("/admin/v1/tokens", headers=bearer(tokens["admin"]))).json())["tokens"]
    (record,) = [r for r in listed if r["role"] == "ngo" and r["token_id"] in out]
    created, expires = (datetime.fromisoformat(record[k]) for k in ("created_at", "expires_at"))
    assert expires - created == timedelta(days=90)
    code, out, _ = await command(["token", "list", *remote], runtime)
    assert "EXPIRES" in out and "active" in out
    code, _, _ = await command(["token", "issue", "--role", "ngo", "--lifetime", "soon", *remote], runtime)
    assert code == 2
    short = {"role": "ngo", "lifetime_seconds": 5}
    assert (await client.post("/admin/v1/tokens", json=short, headers=bearer(tokens["admin"]))).status == 422


async def test_discard_asks_first_and_does_nothing_without_a_yes(
    admin: Admin, runtime: Runtime, memory_bus: MemoryBus, tmp_path: Path
) -> None:
    """The installed command against the admin API, answering its question on stdin."""
    client, tokens = admin
    remote = ["--tokens", tokens_file(tmp_path, client, tokens["admin"])]
    await memory_bus.consume("intake.outbound", ignore)
    for body in (b"[1]", b"[2]"):
        memory_bus.inject("intake.outbound", body)
    await memory_bus.drain()

    async def discard(*argv: str, answer: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.cli", "dlq", "discard", "intake.outbound", *argv, *remote],
            input=answer,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    first, _ = await memory_bus.dead_letters("intake.outbound")
    for answer in ("n\n", "\n", ""):
        declined = await discard("--all", answer=answer)
        assert declined.returncode == OK, declined.stderr
        assert "discard all 2 dead letter(s) of intake.outbound.dead for good? [y/N]" in declined.stdout
        assert "nothing discarded" in declined.stdout
    assert len(await memory_bus.dead_letters("intake.outbound")) == 2
    agreed = await discard(first.id, answer="y\n")
    assert agreed.returncode == OK and "discarded 1 dead letter(s)" in agreed.stdout, agreed.stderr
    assert first.id not in {d.id for d in await memory_bus.dead_letters("intake.outbound")}
    assert len(await memory_bus.dead_letters("intake.outbound")) == 1
