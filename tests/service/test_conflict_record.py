"""Which name rule kept a grievance from a committee, or took a case from one, is recorded for the NGO
only, through the public interfaces: the NGO's escalation shows the member and the rule for every
evasion class, while no committee answer carries any of it (the committee that lost the case gets
404, the one that took it sees nothing of why)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from services.router.admin import AdminParts, create_admin_app
from shared.contracts import NAME_RULES
from tests.fakes import sensitive
from tests.servers import ServiceServer
from tests.service.conversation_support import Services
from tests.service.router_support import REGISTRY, bearer, fresh_phone

# Wages at GZ-001: only gz-001-spt (王芳, alias 王主任; 李娜, alias 娜姐; 张伟) handles them, so a
# grievance naming one of its members goes to the NGO as a conflict of interest.
WAGES_NAMING = [
    # (text, member, rule)
    ("lǐ nà 扣了我三个月工资", "李娜", "pinyin"),
    ("li3 na4 扣了我三个月工资", "李娜", "pinyin"),
    ("Na Li cut my wages", "李娜", "pinyin"),
    ("wang fang 扣了我三个月工资", "王芳", "alias"),  # "Wang Fang" is a registered alias
    ("是王主任扣了我的工资", "王芳", "alias"),
    ("王经理扣了我的工资", "王芳", "derived-title"),
    ("小张扣了我的工资", "张伟", "derived-nickname"),
    ("Manager Wang cut my wages", "王芳", "derived-pinyin"),
    ("李\u200b娜扣了我的工资", "李娜", "folded"),  # a zero-width space
    ("张\u2060伟扣了我的工资", "张伟", "folded"),  # a word joiner
    ("王·芳扣了我的工资", "王芳", "folded"),
    ("張偉扣了我的工資", "张伟", "folded"),  # traditional characters
    ("张伟扣了我的工资", "张伟", "exact"),
]
WAGES = sensitive("工资三个月没发，老板说下个月再说")
HARASSMENT = sensitive("组长经常当众骂我们，说话很难听")


@pytest.fixture
def system(conversation: Services) -> Services:
    return conversation


async def ngo_detail(system: Services, reference: str, reason: str) -> dict[str, Any]:
    """The NGO's detail of the case's escalation for ``reason``."""
    (found,) = [e for e in await system.escalations(reference) if e["reason"] == reason]
    response = await system.escalation.get(
        f"/api/v1/escalations/{found['id']}", headers=bearer(system.tokens["ngo"])
    )
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


def recorded(detail: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(c["committee_id"], c["member"], c["rule"]) for c in detail["conflicts"]}


async def committee_answers(system: Services, reference: str) -> list[tuple[str, int, str]]:
    """Every committee's answer about the case (detail and list), as status and raw JSON text."""
    answers = []
    for committee, token in system.tokens.items():
        if committee in ("ngo", "admin"):
            continue
        for path in (f"/api/v1/cases/{reference}", "/api/v1/cases"):
            response = await system.router.get(path, headers=bearer(token))
            answers.append((committee, response.status, await response.text()))
    return answers


def assert_nothing_of_it(answers: list[tuple[str, int, str]], members: set[str]) -> None:
    """No committee answer carries a conflict, a rule name or (unless the worker wrote it) the member."""
    for _, status, text in answers:
        assert status in (200, 404)
        body = json.loads(text)
        assert "conflicts" not in text
        assert not any(f'"{rule}"' in text for rule in NAME_RULES)
        for member in members:
            assert member not in text
        assert "skipped_committees" not in text and "recusals" not in text
        assert isinstance(body, dict)


@pytest.mark.parametrize(("text", "member", "rule"), WAGES_NAMING, ids=[r for _, _, r in WAGES_NAMING])
async def test_a_new_grievance_kept_from_a_committee_shows_the_ngo_the_member_and_the_rule(
    system: Services, text: str, member: str, rule: str
) -> None:
    reference = await system.web_form(sensitive(text), None)
    assert await system.holder(reference) is None
    detail = await ngo_detail(system, reference, "conflict_of_interest")
    assert recorded(detail) == {("gz-001-spt", member, rule)}
    (conflict,) = detail["conflicts"]
    assert conflict["shared"] == 1 and conflict["role"] in ("management", "worker_rep")
    # The words the worker wrote are in the escalation's text, never in the record of the match.
    assert set(conflict) == {"committee_id", "member", "role", "rule", "shared"}
    written = member if member in text else None
    assert_nothing_of_it(await committee_answers(system, reference), {member} - {written})


async def test_a_grievance_that_went_to_another_committee_keeps_the_record_out_of_its_answers(
    system: Services,
) -> None:
    # Harassment: both GZ-001 committees take it; gz-001-spt is passed over for 王芳 in pinyin.
    phone = fresh_phone()
    reference = await system.sms(sensitive("zhang wei 经常当众骂我们"), phone)
    assert reference is not None
    assert await system.holder(reference) == "gz-001-women"
    assert_nothing_of_it(await committee_answers(system, reference), {"张伟"})
    # A later escalation of the case shows the NGO why the first committee was passed over.
    await system.sms(sensitive("还有，车间的安全出口被锁了，晚上出不去"), phone)
    detail = await ngo_detail(system, reference, "critical")
    assert recorded(detail) == {("gz-001-spt", "张伟", "pinyin")}
    assert_nothing_of_it(await committee_answers(system, reference), {"张伟"})


@pytest.mark.parametrize(
    ("follow_up", "member", "rule"),
    [
        ("li3 na4 也在场，她都看见了", "李娜", "pinyin"),
        ("是娜姐让他这么做的", "李娜", "alias"),
        ("李\u200b娜也在场，她都看见了", "李娜", "folded"),
        ("王组长也在场", "王芳", "derived-title"),
    ],
)
async def test_a_follow_up_that_takes_the_case_from_its_committee_shows_the_ngo_the_member_and_the_rule(
    system: Services, follow_up: str, member: str, rule: str
) -> None:
    phone = fresh_phone()
    reference = await system.sms(WAGES, phone)
    assert reference is not None
    assert await system.holder(reference) == "gz-001-spt"
    await system.sms(sensitive(follow_up), phone)
    assert await system.holder(reference) is None
    detail = await ngo_detail(system, reference, "conflict_of_interest")
    assert recorded(detail) == {("gz-001-spt", member, rule)}
    recusal = [t for t in detail["case"]["timeline"] if t["action"] == "recused"]
    assert [t["actor_role"] for t in recusal] == ["system"]
    answers = await committee_answers(system, reference)
    assert {status for committee, status, _ in answers if committee == "gz-001-spt"} == {404, 200}
    assert next(status for committee, status, _ in answers if committee == "gz-001-spt") == 404
    assert_nothing_of_it(answers, set() if member in follow_up else {member})


async def test_a_follow_up_that_moves_the_case_to_the_other_committee_tells_that_committee_nothing(
    system: Services,
) -> None:
    phone = fresh_phone()
    reference = await system.sms(HARASSMENT, phone)
    assert reference is not None
    assert await system.holder(reference) == "gz-001-spt"
    await system.sms(sensitive("Z.h.a.n.g W.e.i 也在场"), phone)
    assert await system.holder(reference) == "gz-001-women"
    view = await system.case(reference, "gz-001-women")
    assert [t["actor_role"] for t in view["timeline"] if t["action"] == "recused"] == ["system"]
    assert_nothing_of_it(await committee_answers(system, reference), {"张伟"})
    # Named again, now in the other committee: with no committee left, the NGO sees both records.
    await system.sms(sensitive("刘\u3000洋说我们活该"), phone)
    assert await system.holder(reference) is None
    detail = await ngo_detail(system, reference, "conflict_of_interest")
    assert recorded(detail) == {("gz-001-spt", "张伟", "pinyin"), ("gz-001-women", "刘洋", "folded")}
    assert_nothing_of_it(await committee_answers(system, reference), {"张伟"})


def registry_with(**added: list[dict[str, Any]]) -> bytes:
    data: dict[str, Any] = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    for factory in data["factories"]:
        for committee in factory["committees"]:
            committee["members"] += added.get(committee["id"].replace("-", "_"), [])
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8")


async def load_registry(system: Services, body: bytes) -> None:
    admin_app = create_admin_app(AdminParts(system.runtime.db, system.runtime.bus, system.runtime.clock))
    async with TestClient(ServiceServer(admin_app)) as admin:
        response = await admin.post(
            "/admin/v1/registry",
            data=body,
            headers={**bearer(system.tokens["admin"]), "Content-Type": "application/yaml"},
        )
        assert response.status == 200, await response.text()
    await system.bus.drain()


async def test_a_shared_surname_is_recorded_for_every_member_it_fits(system: Services) -> None:
    await load_registry(system, registry_with(gz_001_women=[{"name": "王强", "role": "management"}]))
    reference = await system.web_form(sensitive("王经理经常当众骂我们"), None)
    assert await system.holder(reference) is None
    detail = await ngo_detail(system, reference, "conflict_of_interest")
    assert {(c["committee_id"], c["member"], c["rule"], c["shared"]) for c in detail["conflicts"]} == {
        ("gz-001-spt", "王芳", "derived-title", 2),
        ("gz-001-women", "王强", "derived-title", 2),
    }
    assert_nothing_of_it(await committee_answers(system, reference), {"王芳", "王强"})


async def test_a_member_added_by_a_registry_reload_records_the_rule_that_took_the_case_away(
    system: Services,
) -> None:
    reference = await system.web_form(sensitive("小赵骚扰女工，大家都怕他"), None)
    holder = await system.holder(reference)
    assert holder in ("gz-001-spt", "gz-001-women")
    joined = [{"name": "赵六", "role": "management"}]
    await load_registry(
        system, registry_with(gz_001_spt=joined, gz_001_women=[{"name": "赵明", "role": "worker_rep"}])
    )
    assert await system.holder(reference) is None
    detail = await ngo_detail(system, reference, "conflict_of_interest")
    assert {(c["committee_id"], c["member"], c["rule"], c["shared"]) for c in detail["conflicts"]} == {
        ("gz-001-spt", "赵六", "derived-nickname", 2),
        ("gz-001-women", "赵明", "derived-nickname", 2),
    }
    assert_nothing_of_it(await committee_answers(system, reference), {"赵六", "赵明"})
