"""Committee lifecycle through the admin API: retiring a committee, adding a member.

A registry reload (``POST /admin/v1/registry``) that drops a committee revokes its tokens and moves
its open cases to another committee of the factory or to the NGO; one that adds a member moves the
cases whose worker may name that member. The committee API then answers 404 for what moved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.router.admin import AdminParts, create_admin_app
from services.router.case_store import CaseStore
from services.router.reassign import move_away
from services.router.registry_store import RegistryStore
from shared.auth import list_tokens
from shared.contracts import CaseUpdated
from shared.runtime import Runtime
from tests.fakes import memory_bus_of
from tests.servers import ServiceServer
from tests.service.router_support import (
    GZ_NUMBER,
    REGISTRY,
    RouterClient,
    bearer,
    committee_tokens,
    grievance,
    serve,
    stored_case,
)

SETTLED_NOTHING = {"tokens_revoked": 0, "cases_reassigned": 0, "cases_to_ngo": 0, "cases_deferred": 0}


def registry_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    return data


def committees_of(data: dict[str, Any], code: str) -> list[dict[str, Any]]:
    factory = next(f for f in data["factories"] if f["code"] == code)
    committees: list[dict[str, Any]] = factory["committees"]
    return committees


class World:
    def __init__(
        self,
        runtime: Runtime,
        router: RouterClient,
        admin: TestClient[web.Request, web.Application],
        tokens: dict[str, str],
    ) -> None:
        self.runtime, self.router, self.admin, self.tokens = runtime, router, admin, tokens
        self.cases = CaseStore(runtime.db)

    async def open(self, text: str) -> str:
        """A grievance at GZ-001 becomes a case; its reference."""
        event = grievance(self.runtime.keys, text, to=GZ_NUMBER)
        await self.runtime.bus.publish(event)
        await memory_bus_of(self.runtime).drain()
        return event.reference

    async def load(self, data: dict[str, Any]) -> dict[str, int]:
        body = yaml.safe_dump(data, allow_unicode=True)
        response = await self.admin.post(
            "/admin/v1/registry",
            data=body.encode("utf-8"),
            headers={**bearer(self.tokens["admin"]), "Content-Type": "application/yaml"},
        )
        assert response.status == 200, await response.text()
        await memory_bus_of(self.runtime).drain()
        counts: dict[str, int] = await response.json()
        return counts

    async def case_as(self, committee: str, reference: str) -> int:
        response = await self.router.get(f"/api/v1/cases/{reference}", headers=bearer(self.tokens[committee]))
        return response.status

    async def holder(self, reference: str) -> tuple[str | None, str | None, str]:
        case = next(c for c in await self.cases.by_reference(reference) if c.reference == reference)
        return case.committee_id, case.unassigned_reason, case.status

    def moves(self) -> list[CaseUpdated]:
        return [
            e
            for e in self.router.received
            if isinstance(e, CaseUpdated) and e.action == "recused" and e.actor_role == "system"
        ]


@pytest.fixture
async def world(runtime: Runtime) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    async with (
        serve(runtime) as router,
        TestClient(
            ServiceServer(create_admin_app(AdminParts(runtime.db, runtime.bus, runtime.clock)))
        ) as admin,
    ):
        yield World(runtime, router, admin, tokens)


async def test_retiring_a_committee_revokes_its_tokens_and_moves_its_cases(world: World) -> None:
    locked = await world.open("安全出口被锁了")  # health_safety: only gz-001-spt handles it
    harassed = await world.open("主管骚扰女工")  # the women's committee, the less busy of two
    naming = await world.open("王芳骚扰女工")  # names a member of gz-001-spt
    assert (await world.holder(harassed))[0] == "gz-001-women"
    assert (await world.holder(naming))[0] == "gz-001-women"
    assert await world.case_as("gz-001-women", harassed) == 200

    data = registry_data()
    committees_of(data, "GZ-001")[:] = [c for c in committees_of(data, "GZ-001") if c["id"] != "gz-001-women"]
    counts = await world.load(data)
    assert counts["committees_retired"] == 1
    assert counts["tokens_revoked"] == 1
    assert (counts["cases_reassigned"], counts["cases_to_ngo"], counts["cases_deferred"]) == (1, 1, 0)

    # The retired committee's token no longer works; its cases are elsewhere.
    assert await world.case_as("gz-001-women", harassed) == 401
    assert await world.holder(harassed) == ("gz-001-spt", None, "assigned")
    assert await world.case_as("gz-001-spt", harassed) == 200
    # The only other committee is named in the worker's text: the NGO holds that one.
    assert await world.holder(naming) == (None, "conflict_of_interest", "unassigned")
    assert await world.case_as("gz-001-spt", naming) == 404
    assert await world.holder(locked) == ("gz-001-spt", None, "assigned")
    revoked = [t for t in await list_tokens(world.runtime.db) if t["committee_id"] == "gz-001-women"]
    assert revoked and all(t["revoked_at"] is not None for t in revoked)
    # Nor is a new token issued for it; a committee still listed gets one.
    admin = bearer(world.tokens["admin"])
    refused = await world.admin.post(
        "/admin/v1/tokens", json={"role": "committee", "committee_id": "gz-001-women"}, headers=admin
    )
    assert refused.status == 422 and refused.content_type == "application/problem+json"
    assert "retired" in (await refused.json(content_type=None))["detail"]
    issued = await world.admin.post(
        "/admin/v1/tokens", json={"role": "committee", "committee_id": "gz-001-spt"}, headers=admin
    )
    assert issued.status == 201

    moves = world.moves()
    assert sorted((e.reference, e.committee_id, e.note) for e in moves) == sorted(
        [(harassed, "gz-001-spt", "committee_retired"), (naming, None, "conflict_of_interest")]
    )

    # The same file again: nothing left to do, nothing published.
    again = await world.load(data)
    assert {k: again[k] for k in SETTLED_NOTHING} == SETTLED_NOTHING
    assert again["committees_retired"] == 0
    assert len(world.moves()) == 2


async def test_a_case_no_committee_can_take_goes_to_the_ngo_as_unroutable(world: World) -> None:
    locked = await world.open("安全出口被锁了")
    data = registry_data()
    committees_of(data, "GZ-001")[:] = [c for c in committees_of(data, "GZ-001") if c["id"] != "gz-001-spt"]
    counts = await world.load(data)
    assert (counts["cases_reassigned"], counts["cases_to_ngo"]) == (0, 1)
    assert await world.holder(locked) == (None, "unroutable", "unassigned")
    assert await world.case_as("gz-001-spt", locked) == 401
    (move,) = world.moves()
    assert (move.committee_id, move.status, move.note) == (None, "unassigned", "unroutable")


async def test_a_load_interrupted_half_way_is_finished_by_the_next(world: World) -> None:
    """The records of a load written, the cases not yet moved (a crash in between): the next load,
    of the same file, moves what is left and revokes the tokens; one case moved before the crash
    is not moved again."""
    await world.open("安全出口被锁了")  # gz-001-spt, so harassment goes to the women's committee
    first = await world.open("主管骚扰女工")
    await world.open("安全出口被锁了")  # gz-001-spt again, so the next one goes there too
    second = await world.open("车间主管骚扰女工")
    assert (await world.holder(first))[0] == (await world.holder(second))[0] == "gz-001-women"
    registry = RegistryStore(world.runtime.db)
    assert await registry.retire_committees("GZ-001", ["gz-001-spt"]) == 1  # the load's first half
    await move_away(
        (await stored_case(world.cases, await _grievance_of(world, first))).case_id,
        "gz-001-women",
        "committee_retired",
        cases=world.cases,
        registry=registry,
        bus=world.runtime.bus,
        clock=world.runtime.clock,
    )
    await memory_bus_of(world.runtime).drain()
    assert await world.case_as("gz-001-women", second) == 200  # not revoked yet

    data = registry_data()
    committees_of(data, "GZ-001")[:] = [c for c in committees_of(data, "GZ-001") if c["id"] != "gz-001-women"]
    counts = await world.load(data)
    assert counts["committees_retired"] == 0  # the record was retired before
    assert (counts["tokens_revoked"], counts["cases_reassigned"], counts["cases_to_ngo"]) == (1, 1, 0)
    assert (await world.holder(first))[0] == (await world.holder(second))[0] == "gz-001-spt"
    assert sorted(e.reference for e in world.moves()) == sorted([first, second])


async def _grievance_of(world: World, reference: str) -> str:
    case = next(c for c in await world.cases.by_reference(reference) if c.reference == reference)
    return case.grievance_id


async def test_a_new_member_named_by_a_worker_takes_the_case_away_from_the_committee(world: World) -> None:
    wages = await world.open("赵六扣我工资")  # wages: only gz-001-spt handles them at GZ-001
    harassed = await world.open("赵六骚扰女工")  # harassment: gz-001-women, the less busy
    other = await world.open("主管骚扰女工")  # gz-001-spt
    assert (await world.holder(wages))[0] == "gz-001-spt"
    assert (await world.holder(harassed))[0] == "gz-001-women"
    assert (await world.holder(other))[0] == "gz-001-spt"

    data = registry_data()
    spt = next(c for c in committees_of(data, "GZ-001") if c["id"] == "gz-001-spt")
    spt["members"].append({"name": "赵六", "role": "management"})
    women = next(c for c in committees_of(data, "GZ-001") if c["id"] == "gz-001-women")
    women["members"].append({"name": "赵六", "role": "management"})
    counts = await world.load(data)
    assert counts["committees_updated"] == 2
    assert (counts["cases_reassigned"], counts["cases_to_ngo"], counts["tokens_revoked"]) == (0, 2, 0)
    # Named in both committees: the NGO holds both, and neither committee sees them any more.
    assert await world.holder(wages) == (None, "conflict_of_interest", "unassigned")
    assert await world.holder(harassed) == (None, "conflict_of_interest", "unassigned")
    assert await world.case_as("gz-001-spt", wages) == 404
    assert await world.case_as("gz-001-women", harassed) == 404
    listed = await world.router.get("/api/v1/cases", headers=bearer(world.tokens["gz-001-spt"]))
    assert [item["reference"] for item in (await listed.json())["items"]] == [other]
    assert await world.case_as("gz-001-spt", other) == 200

    again = await world.load(data)
    assert {k: again[k] for k in SETTLED_NOTHING} == SETTLED_NOTHING
    assert len(world.moves()) == 2


async def test_a_new_member_moves_a_case_to_the_other_committee_when_it_may_take_it(world: World) -> None:
    await world.open("安全出口被锁了")  # gz-001-spt
    harassed = await world.open("赵六骚扰女工")  # gz-001-women
    data = registry_data()
    women = next(c for c in committees_of(data, "GZ-001") if c["id"] == "gz-001-women")
    women["members"].append({"name": "赵六", "aliases": ["六哥"], "role": "management"})
    counts = await world.load(data)
    assert (counts["cases_reassigned"], counts["cases_to_ngo"]) == (1, 0)
    assert await world.holder(harassed) == ("gz-001-spt", None, "assigned")
    assert await world.case_as("gz-001-women", harassed) == 404
    assert await world.case_as("gz-001-spt", harassed) == 200
    (move,) = world.moves()
    assert (move.committee_id, move.note) == ("gz-001-spt", "conflict_of_interest")
    case = await stored_case(world.cases, await _grievance_of(world, harassed))
    assert "gz-001-women" in case.skipped_committees and case.acknowledged_at is None
