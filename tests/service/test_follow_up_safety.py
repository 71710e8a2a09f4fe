"""A worker's follow-up passes the safety checks of a new grievance, through the public interfaces:
a member of the holding committee named (however written) takes the case from that committee,
retaliation takes it to the NGO, and a graver follow-up escalates as critical."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes import sensitive
from tests.service.conversation_support import Services
from tests.service.router_support import bearer, fresh_phone

HARASSMENT = sensitive("组长经常当众骂我们，说话很难听")
WAGES = sensitive("工资三个月没发，老板说下个月再说")

# How workers write 王芳 (gz-001-spt, alias 王主任 and Wang Fang): each must take the case away.
NAMED_WANG_FANG = [
    "王 芳也在场，她都看见了",
    "王\u3000芳也在场，她都看见了",
    "王\u200b芳也在场，她都看见了",
    "王·芳也在场，她都看见了",
    "王\n芳也在场，她都看见了",
    "是王主任让他这么做的",
    "Wang Fang was there and saw it",
    "wáng fāng 也在场",
    "wang2 fang1 也在场",
    "W.a.n.g F.a.n.g was there",
]


@pytest.fixture
def system(conversation: Services) -> Services:
    return conversation


async def opened(system: Services, text: str, phone: str) -> str:
    reference = await system.sms(text, phone)
    assert reference is not None
    return reference


def reasons(escalations: list[dict[str, Any]]) -> set[str]:
    return {e["reason"] for e in escalations}


@pytest.mark.parametrize("follow_up", NAMED_WANG_FANG)
async def test_a_follow_up_naming_a_member_moves_the_case_to_a_committee_without_them(
    system: Services, follow_up: str
) -> None:
    phone = fresh_phone()
    reference = await opened(system, HARASSMENT, phone)
    assert await system.holder(reference) == "gz-001-spt"  # both committees take harassment; a tie
    await system.sms(sensitive(follow_up), phone)
    # The named member's committee no longer sees the case: 404, and not in its list.
    spt = bearer(system.tokens["gz-001-spt"])
    assert (await system.router.get(f"/api/v1/cases/{reference}", headers=spt)).status == 404
    listed = await (await system.router.get("/api/v1/cases", headers=spt)).json()
    assert reference not in [c["reference"] for c in listed["items"]]
    # The other committee has it, with both messages; no escalation was needed.
    assert await system.holder(reference) == "gz-001-women"
    view = await system.case(reference, "gz-001-women")
    assert [m["text"] for m in view["messages"]] == [HARASSMENT, follow_up]
    assert "conflict_of_interest" not in reasons(await system.escalations(reference))


async def test_with_no_committee_left_the_case_goes_to_the_ngo_for_conflict_of_interest(
    system: Services,
) -> None:
    phone = fresh_phone()
    reference = await opened(system, WAGES, phone)
    assert await system.holder(reference) == "gz-001-spt"  # the only committee for wages
    await system.sms(sensitive("张 伟说钱被他们拿去周转了"), phone)
    assert await system.holder(reference) is None
    assert "conflict_of_interest" in reasons(await system.escalations(reference))


async def test_naming_a_member_of_another_committee_leaves_the_case_where_it_is(system: Services) -> None:
    phone = fresh_phone()
    reference = await opened(system, HARASSMENT, phone)
    await system.sms(sensitive("陈静说她会帮我们"), phone)  # gz-001-women's member; spt holds it
    assert await system.holder(reference) == "gz-001-spt"
    assert len((await system.case(reference, "gz-001-spt"))["messages"]) == 2


async def test_both_committees_named_in_turn_leave_the_case_to_the_ngo(system: Services) -> None:
    phone = fresh_phone()
    reference = await opened(system, HARASSMENT, phone)
    await system.sms(sensitive("小王也知道这件事"), phone)
    assert await system.holder(reference) == "gz-001-women"
    await system.sms(sensitive("刘 经理 说我们活该"), phone)
    assert await system.holder(reference) is None
    assert "conflict_of_interest" in reasons(await system.escalations(reference))


@pytest.mark.parametrize(
    "follow_up",
    [
        "我投诉之后他们就扣了我的工资",
        "我去劳动局反映以后，第二天就被调到最累的岗位",
        "自從我投訴以後，主管就報復我",
    ],
)
async def test_retaliation_in_a_follow_up_reaches_the_ngo_only(system: Services, follow_up: str) -> None:
    phone = fresh_phone()
    reference = await opened(system, WAGES, phone)
    assert await system.holder(reference) == "gz-001-spt"
    await system.sms(sensitive(follow_up), phone)
    # No committee of the factory sees the case, so none sees the message.
    assert await system.holder(reference) is None
    assert "retaliation" in reasons(await system.escalations(reference))


async def test_a_follow_up_that_raises_the_severity_escalates_as_critical(system: Services) -> None:
    phone = fresh_phone()
    reference = await opened(system, WAGES, phone)
    before = await system.case(reference, "gz-001-spt")
    assert before["severity"] == "high"
    assert "critical" not in reasons(await system.escalations(reference))
    await system.sms(sensitive("还有，车间的安全出口被锁了，晚上出不去"), phone)
    after = await system.case(reference, "gz-001-spt")
    assert after["severity"] == "critical" and after["category"] == "wages"
    assert after["ack_due_at"] < before["ack_due_at"]  # the deadlines of a critical case
    assert "critical" in reasons(await system.escalations(reference))
    # A milder follow-up never lowers it.
    await system.sms(sensitive("另外食堂的饭也不好吃"), phone)
    assert (await system.case(reference, "gz-001-spt"))["severity"] == "critical"
