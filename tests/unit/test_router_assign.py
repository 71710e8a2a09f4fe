"""Factory resolution and committee choice: pure rules."""

from __future__ import annotations

import pytest

from services.router.assign import (
    CommitteeInfo,
    FactoryInfo,
    Hints,
    choose_committee,
    named_in,
    resolve_factory,
)
from services.router.names import Member

FACTORIES = [
    FactoryInfo("GZ-001", ("+8610690000001",), ("GZ001", "华丰")),
    FactoryInfo("DG-002", ("+8610690000002",), ("DG002", "利达")),
]
SPT = CommitteeInfo("spt", "GZ-001", ("all",), ("王芳", "王主任", "Wang Fang"))
WOMEN = CommitteeInfo("women", "GZ-001", ("harassment_abuse", "discrimination"), ("陈静", "陈姐"))


@pytest.mark.parametrize(
    ("hints", "latest", "expected"),
    [
        (Hints("web", "工资没发", factory_hint="gz-001"), None, ("GZ-001", "factory_code")),
        (Hints("sms", "工资没发", gateway_number="+8610690000002"), None, ("DG-002", "gateway_number")),
        (Hints("sms", "工资没发", factory_hint="8610690000002"), None, ("DG-002", "gateway_number")),
        (Hints("sms", "GZ001 工资没发", gateway_number="+8610690000999"), None, ("GZ-001", "first_word")),
        (Hints("sms", "ｇｚ－００１，工资没发"), None, ("GZ-001", "first_word")),
        (Hints("sms", "dg002工资没发"), None, ("DG-002", "first_word")),
        (Hints("sms", "利达 工资没发"), None, ("DG-002", "first_word")),
        (Hints("sms", "GZ0012 工资没发"), "DG-002", ("DG-002", "reporter_history")),
        (Hints("sms", "工资没发 GZ001"), None, (None, None)),
        (Hints("web", "工资没发", factory_hint="XX-999"), None, (None, None)),
    ],
)
def test_resolve_factory(hints: Hints, latest: str | None, expected: tuple[str | None, str | None]) -> None:
    assert resolve_factory(hints, FACTORIES, latest) == expected


def test_the_web_code_wins_over_the_text() -> None:
    hints = Hints("web", "DG002 something", factory_hint="GZ-001")
    assert resolve_factory(hints, FACTORIES, None) == ("GZ-001", "factory_code")


def test_fewest_open_cases_among_handling_committees() -> None:
    choice = choose_committee("harassment_abuse", "组长骂人", [SPT, WOMEN], {"spt": 3, "women": 1})
    assert (choice.committee_id, choice.unassigned_reason) == ("women", None)
    choice = choose_committee("wages", "工资没发", [SPT, WOMEN], {"spt": 3, "women": 0})
    assert choice.committee_id == "spt"


def test_a_named_member_or_alias_excludes_the_committee() -> None:
    choice = choose_committee("harassment_abuse", "王主任骂人", [SPT, WOMEN], {"spt": 0, "women": 5})
    assert (choice.committee_id, choice.skipped) == ("women", ("spt",))
    choice = choose_committee("wages", "wang fang kept our pay", [SPT, WOMEN], {})
    assert (choice.committee_id, choice.unassigned_reason) == (None, "conflict_of_interest")


def test_retaliation_never_goes_to_a_committee() -> None:
    assert choose_committee("retaliation", "报复", [SPT, WOMEN], {}).unassigned_reason == "retaliation"


def test_no_committee_for_the_category_is_unroutable_and_exclusions_count() -> None:
    only_women = [WOMEN]
    assert choose_committee("wages", "工资", only_women, {}).unassigned_reason == "unroutable"
    assert (
        choose_committee("wages", "工资", [SPT, WOMEN], {}, exclude=["spt"]).unassigned_reason == "unroutable"
    )


def test_single_characters_do_not_count_as_names() -> None:
    assert not named_in("王", ["王"])
    assert named_in("ＷＡＮＧ ＦＡＮＧ said", ["Wang Fang"])


MEMBERS_SPT = CommitteeInfo(
    "spt",
    "GZ-001",
    ("all",),
    members=(Member("王芳", ("王主任",), "management"), Member("李娜", (), "worker_rep")),
)
MEMBERS_SAFETY = CommitteeInfo("safety", "GZ-001", ("all",), members=(Member("王强", (), "management"),))
MEMBERS_WOMEN = CommitteeInfo("women", "GZ-001", ("all",), members=(Member("陈静", ("陈姐",), "worker_rep"),))


def test_a_member_named_however_written_excludes_the_committee_and_says_why() -> None:
    choice = choose_committee("wages", "李\u200b娜扣我工资", [MEMBERS_SPT, MEMBERS_WOMEN], {})
    assert (choice.committee_id, choice.skipped) == ("women", ("spt",))
    (conflict,) = choice.conflicts
    assert (conflict.committee_id, conflict.member, conflict.role, conflict.rule) == (
        "spt",
        "李娜",
        "worker_rep",
        "folded",  # found only once the zero-width space is gone
    )


def test_a_shared_surname_excludes_every_committee_with_it() -> None:
    committees = [MEMBERS_SPT, MEMBERS_SAFETY, MEMBERS_WOMEN]
    choice = choose_committee("wages", "王經理扣我工資", committees, {"women": 9})
    assert (choice.committee_id, choice.skipped) == ("women", ("spt", "safety"))
    assert {(c.member, c.rule, c.shared) for c in choice.conflicts} == {
        ("王芳", "derived-title", 2),
        ("王强", "derived-title", 2),
    }
    choice = choose_committee("wages", "xiao wang and chen jing", committees, {})
    assert (choice.committee_id, choice.unassigned_reason) == (None, "conflict_of_interest")
    assert choice.skipped == ("spt", "safety", "women")


def test_no_name_no_conflict() -> None:
    choice = choose_committee("wages", "关于经理克扣工资的问题", [MEMBERS_SPT, MEMBERS_SAFETY], {"spt": 1})
    assert (choice.committee_id, choice.skipped, choice.conflicts) == ("safety", (), ())


def test_a_flat_list_of_names_still_counts_every_name_and_its_forms() -> None:
    assert named_in("王 芳", ["王芳"])
    assert named_in("Wáng Fāng", ["王芳"])
    assert named_in("小王说的", ["王芳"])
    assert named_in("王主任", ["王主任"])
    assert not named_in("主任说的", ["王主任"])


def test_open_cases_decide_only_between_several_clear_committees() -> None:
    from services.router.assign import pick, screen

    assert screen("wages", "工资没发", [SPT, WOMEN]).contested() == []
    both = screen("harassment_abuse", "组长骂人", [SPT, WOMEN])
    assert both.contested() == ["spt", "women"]
    assert pick(both, {"spt": 3, "women": 1}).committee_id == "women"
    # A named member leaves one committee clear: nothing left to count.
    named = screen("harassment_abuse", "王主任骂人", [SPT, WOMEN])
    assert named.contested() == []
    assert pick(named, {}) == choose_committee("harassment_abuse", "王主任骂人", [SPT, WOMEN], {})
