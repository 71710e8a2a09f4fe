"""The store side of the committee lifecycle: open cases of a committee, committee tokens, the
member lists checked, and a load whose case writes all lose their races (finished by the next)."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import yaml

from services.cli import run_admin
from services.cli.errors import FAILED, OK
from services.router.app import INDEXES, Router, bootstrap
from services.router.case import Case
from services.router.case_store import CaseStore
from services.router.registry import load_registry, load_registry_file
from services.router.registry_store import CommitteeRecord, FactoryRecord, MemberRecord, RegistryStore
from shared.auth import authenticate, issue_token, list_tokens, revoke_committee_tokens
from shared.runtime import Runtime
from shared.store import ensure_indexes, to_ms
from shared.web import Problem
from tests.fakes import FakeClock
from tests.service.router_support import REGISTRY, ContendedDatabase, fresh_phone, grievance


async def router_of(runtime: Runtime) -> Router:
    await ensure_indexes(runtime.db, INDEXES)
    await load_registry_file(runtime.db, REGISTRY)
    return bootstrap(runtime)


async def open_case(runtime: Runtime, router: Router, text: str) -> Case:
    event = grievance(runtime.keys, text, phone=fresh_phone())
    await router.consumer(event)
    case = await router.cases.by_grievance(str(event.grievance_id))
    assert case is not None
    return case


async def test_held_by_lists_a_committees_open_cases_oldest_first(runtime: Runtime, clock: FakeClock) -> None:
    router = await router_of(runtime)
    first = await open_case(runtime, router, "工资三个月没发")
    clock.advance(minutes=1)
    second = await open_case(runtime, router, "加班没有加班费")
    clock.advance(minutes=1)
    closed = await open_case(runtime, router, "安全出口被锁了")
    cases = CaseStore(runtime.db)
    resolved = closed.resolve(
        by="gz-001-spt", action_id="r1", resolution="已开锁", now=to_ms(clock()), reach_worker=False
    )
    after_resolve = await cases.save(closed, resolved)
    assert after_resolve is not None
    done = after_resolve.case.confirm(
        grievance_id="g", text="是", at=to_ms(clock()), now=to_ms(clock()), reach_worker=False
    )
    assert await cases.save(after_resolve.case, done) is not None
    held = await cases.held_by("gz-001-spt")
    assert [c.case_id for c in held] == [first.case_id, second.case_id]
    assert await cases.held_by("gz-001-women") == []


async def test_committee_tokens_are_revoked_once_and_only_theirs(runtime: Runtime) -> None:
    women, _ = await issue_token(runtime.db, "committee", committee_id="gz-001-women")
    spt, _ = await issue_token(runtime.db, "committee", committee_id="gz-001-spt")
    ngo, _ = await issue_token(runtime.db, "ngo")
    assert await revoke_committee_tokens(runtime.db, ["gz-001-women"]) == 1
    assert await revoke_committee_tokens(runtime.db, ["gz-001-women"]) == 0
    assert await revoke_committee_tokens(runtime.db, []) == 0
    for live in (spt, ngo):
        assert (await authenticate(runtime.db, f"Bearer {live}")).token_id
    with pytest.raises(Problem) as refused:
        await authenticate(runtime.db, f"Bearer {women}")
    assert refused.value.status == 401


async def test_a_member_list_is_unchecked_until_marked_and_again_when_it_changes(runtime: Runtime) -> None:
    registry = RegistryStore(runtime.db)
    await registry.upsert_factory(
        FactoryRecord("GZ-001", "GZ-001", None, None, (), (), (), "Asia/Shanghai", ("c1",))
    )
    committee = CommitteeRecord("c1", "GZ-001", "c1", ("all",), (MemberRecord("王芳", (), "management"),))
    await registry.upsert_committee(committee)
    (unchecked,) = await registry.unchecked()
    assert unchecked.committee.id == "c1" and unchecked.committee.names == ("王芳",)
    await registry.mark_checked("c1", unchecked.digest)
    assert await registry.unchecked() == []
    await registry.upsert_committee(
        replace(committee, members=(MemberRecord("王芳", ("王主任",), "management"),))
    )
    (again,) = await registry.unchecked()
    assert again.digest != unchecked.digest and again.committee.names == ("王芳", "王主任")


async def test_a_load_whose_case_writes_lose_every_race_is_finished_by_the_next(runtime: Runtime) -> None:
    router = await router_of(runtime)
    await open_case(runtime, router, "安全出口被锁了")  # gz-001-spt
    harassed = await open_case(runtime, router, "赵六骚扰女工")  # gz-001-women
    assert harassed.committee_id == "gz-001-women"
    data = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    committees = data["factories"][0]["committees"]
    committees[1]["members"].append({"name": "赵六", "role": "management"})

    contended = ContendedDatabase(runtime.db)
    counts = await load_registry(contended, data)
    assert (counts["cases_deferred"], counts["cases_reassigned"]) == (1, 0)
    assert contended.writes_lost > 0
    still = await CaseStore(runtime.db).by_id(harassed.case_id)
    assert still is not None and still.committee_id == "gz-001-women"

    counts = await load_registry(runtime.db, data)  # the committee was not marked checked
    assert (counts["cases_deferred"], counts["cases_reassigned"]) == (0, 1)
    moved = await CaseStore(runtime.db).by_id(harassed.case_id)
    assert moved is not None and moved.committee_id == "gz-001-spt"
    # Without a bus the move's event waits in the case outbox for the router's periodic pass.
    assert moved.timeline[-1].action == "recused" and moved.timeline[-1].actor_role == "system"
    waiting = await CaseStore(runtime.db).stale_outboxes(moved.created_at.replace(year=2100))
    assert [e.type for p in waiting if p.case_id == moved.case_id for e in p.events] == ["case.updated"]


async def test_the_token_command_issues_no_token_for_a_retired_committee(runtime: Runtime) -> None:
    await load_registry_file(runtime.db, REGISTRY)
    assert await RegistryStore(runtime.db).retire_committees("GZ-001", ["gz-001-spt"]) == 1
    out, err = io.StringIO(), io.StringIO()
    argv = ["token", "issue", "--role", "committee", "--committee", "gz-001-women"]
    assert await run_admin(argv, settings=runtime.settings, runtime=runtime, out=out, err=err) == FAILED
    assert "retired" in err.getvalue() and "gvt_" not in out.getvalue()
    assert await list_tokens(runtime.db) == []
    argv[-1] = "gz-001-spt"
    assert await run_admin(argv, settings=runtime.settings, runtime=runtime, out=out, err=err) == OK
