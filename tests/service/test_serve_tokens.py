"""``serve all``'s tokens: every start of the embedded run issues them; a real store keeps the
ones an earlier start issued, so a restart issues only those that no longer work (``persistent``,
which ``serve all`` takes from the bootstrap's mode)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.cli import seed
from services.cli.banner import banner, grievance_command
from shared.auth import authenticate, list_tokens, revoke_token
from shared.runtime import Runtime
from shared.settings import Settings
from tests.service.router_support import REGISTRY

COMMITTEES = ["gz-001-spt", "gz-001-women", "dg-002-wages", "dg-002-safety", "sz-003-spt"]


async def live(runtime: Runtime) -> list[dict[str, Any]]:
    return [t for t in await list_tokens(runtime.db) if t["revoked_at"] is None]


async def test_a_real_store_issues_each_token_once_and_keeps_the_tokens_file(runtime: Runtime) -> None:
    first = await seed.prepare(runtime.db, runtime.bus, REGISTRY, persistent=True, previous=None)
    assert sorted(first.tokens["committees"]) == sorted(COMMITTEES)
    assert first.tokens["ngo"].startswith("gvt_") and first.elsewhere == ()
    assert len(await live(runtime)) == 7

    # A restart with the same tokens file: the same tokens, nothing new.
    again = await seed.prepare(runtime.db, runtime.bus, REGISTRY, persistent=True, previous=first.tokens)
    assert again.tokens == first.tokens and again.elsewhere == ()
    assert len(await list_tokens(runtime.db)) == 7

    # A restart without the file: the tokens still work, but only their hashes are stored.
    blind = await seed.prepare(runtime.db, runtime.bus, REGISTRY, persistent=True, previous={})
    assert blind.tokens == {"committees": {}}
    assert sorted(blind.elsewhere) == sorted([*(f"committee {c}" for c in COMMITTEES), "ngo", "admin"])
    assert len(await list_tokens(runtime.db)) == 7

    # The admin token revoked: the next start issues a new one, and keeps the rest.
    admin = await authenticate(runtime.db, f"Bearer {first.tokens['admin']}")
    assert await revoke_token(runtime.db, admin.token_id)
    after = await seed.prepare(runtime.db, runtime.bus, REGISTRY, persistent=True, previous=first.tokens)
    assert after.tokens["admin"] != first.tokens["admin"]
    assert {k: v for k, v in after.tokens.items() if k != "admin"} == {
        k: v for k, v in first.tokens.items() if k != "admin"
    }
    assert (await authenticate(runtime.db, f"Bearer {after.tokens['admin']}")).role == "admin"
    assert len(await live(runtime)) == 7


async def test_a_token_of_another_scope_in_the_file_is_not_taken_for_the_wide_one(runtime: Runtime) -> None:
    first = await seed.prepare(runtime.db, runtime.bus, None, persistent=True, previous=None)
    swapped = {"committees": {}, "ngo": first.tokens["admin"], "admin": first.tokens["ngo"]}
    again = await seed.prepare(runtime.db, runtime.bus, None, persistent=True, previous=swapped)
    assert again.tokens == {"committees": {}} and set(again.elsewhere) == {"ngo", "admin"}


async def test_a_real_store_without_a_tokens_file_issues_nothing(runtime: Runtime) -> None:
    prepared = await seed.prepare(
        runtime.db, runtime.bus, REGISTRY, persistent=True, previous=None, issue=False
    )
    assert prepared.tokens == {"committees": {}} and prepared.elsewhere == ()
    assert await list_tokens(runtime.db) == []


async def test_the_embedded_run_issues_its_tokens_at_every_start(runtime: Runtime) -> None:
    first = await seed.prepare(runtime.db, runtime.bus, REGISTRY, persistent=False, previous=None)
    second = await seed.prepare(runtime.db, runtime.bus, REGISTRY, persistent=False, previous=first.tokens)
    assert second.tokens["ngo"] != first.tokens["ngo"] and second.elsewhere == ()
    assert len(await live(runtime)) == 14


def test_the_banner_says_where_the_tokens_are_and_how_to_issue_new_ones(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(mongo_url="mongodb://mongo.invalid:27017/", amqp_url="amqp://rabbit.invalid/")
    text = banner(
        settings,
        None,
        Path("tokens.json"),
        {"committees": {}},
        False,
        embedded=False,
        elsewhere=["ngo", "admin"],
    )
    assert "an earlier start's still work: ngo, admin" in text
    program = grievance_command()
    assert f"list them: {program} token list" in text
    assert f"{program} token issue --role ngo" in text and f"{program} token issue --role admin" in text
    without_file = banner(settings, None, None, {"committees": {}}, False, embedded=False)
    assert f"{program} token issue --role admin" in without_file
    assert "token issue" not in banner(
        settings_factory(), None, Path("tokens.json"), {"committees": {}}, False, embedded=True
    )


def test_an_unreadable_tokens_file_is_no_earlier_start(tmp_path: Path) -> None:
    broken = tmp_path / "tokens.json"
    broken.write_text("{not json", encoding="utf-8")
    assert seed.read_tokens(broken) == {}
    assert seed.read_tokens(tmp_path / "missing.json") == {}
    broken.write_text('["a list"]', encoding="utf-8")
    assert seed.read_tokens(broken) == {}
