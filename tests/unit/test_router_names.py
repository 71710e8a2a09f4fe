"""Conflict of interest: which members a grievance may name, however it is written (table tests)."""

from __future__ import annotations

import pytest

from services.router.names import Member, named_members

COMMITTEES = {
    "spt": (Member("王芳", ("王主任",), "management"), Member("李娜", (), "worker_rep")),
    "women": (Member("陈静", ("陈姐",), "worker_rep"), Member("欧阳丽华", (), "management")),
    "safety": (
        Member("王强", (), "management"),
        Member("张伟", (), "worker_rep"),
        Member("吕红", (), "worker_rep"),
    ),
    "hr": (
        Member("于洋", (), "management"),
        Member("方敏", (), "management"),
        Member("时丽", (), "worker_rep"),
    ),
    "canteen": (
        Member("全志明", (), "worker_rep"),
        Member("曾伟", (), "management"),
        Member("刘国庆", (), "worker_rep"),
    ),
}


def found(text: str) -> set[tuple[str, str, str]]:
    return {(m.committee_id, m.member, m.rule) for m in named_members(text, COMMITTEES)}


def names(text: str) -> set[str]:
    return {m.member for m in named_members(text, COMMITTEES)}


EVASIONS = {
    "spaces": [
        ("王 芳骂人", "王芳"),
        ("李 娜 扣我工资", "李娜"),
        ("陈  静不管", "陈静"),
        ("欧 阳 丽 华", "欧阳丽华"),
        ("张 伟 打人", "张伟"),
    ],
    "full-width spaces": [
        ("王\u3000芳", "王芳"),
        ("李\u3000娜", "李娜"),
        ("陈\u3000\u3000静", "陈静"),
        ("欧阳\u3000丽华", "欧阳丽华"),
        ("吕\u3000红", "吕红"),
    ],
    "zero-width and invisible": [
        ("王\u200b芳", "王芳"),  # zero-width space
        ("李\u200d娜", "李娜"),  # zero-width joiner
        ("陈\ufeff静", "陈静"),  # byte-order mark
        ("张\u00ad伟", "张伟"),  # soft hyphen
        ("吕\u2060红", "吕红"),  # word joiner
        ("于\u200c洋", "于洋"),  # zero-width non-joiner
        ("方\u202e敏", "方敏"),  # a bidirectional override
    ],
    "middle dots": [
        ("王·芳", "王芳"),
        ("李・娜", "李娜"),
        ("陈•静", "陈静"),
        ("张‧伟", "张伟"),
        ("欧阳·丽华", "欧阳丽华"),
    ],
    "line breaks": [
        ("王\n芳", "王芳"),
        ("李\r\n娜", "李娜"),
        ("陈\n\n静", "陈静"),
        ("张\u2028伟", "张伟"),  # the Unicode line separator
        ("组长吕\n红又骂人", "吕红"),
    ],
    "pinyin with tones": [
        ("Wáng Fāng shouted at us", "王芳"),
        ("wang2 fang1 took our pay", "王芳"),
        ("Lǐ Nà", "李娜"),
        ("chén jìng", "陈静"),
        ("Lǚ Hóng hit her", "吕红"),
        ("Ōuyáng Lìhuá", "欧阳丽华"),
    ],
    "pinyin without tones or spaces": [
        ("wangfang", "王芳"),
        ("LINA said no", "李娜"),
        ("ask chenjing", "陈静"),
        ("zhang-wei", "张伟"),
        ("lvhong", "吕红"),
        ("Fang Wang is the manager", "王芳"),
        ("w a n g f a n g", "王芳"),
        ("ＷＡＮＧ ＦＡＮＧ", "王芳"),
    ],
    "traditional characters": [
        ("陳靜不理我們", "陈静"),
        ("張偉打人", "张伟"),
        ("呂紅", "吕红"),
        ("歐陽麗華", "欧阳丽华"),
        ("於洋扣錢", "于洋"),
    ],
}

DERIVED = {
    "surname and title": [
        ("李组长骂人", "李娜"),
        ("陈主管不管", "陈静"),
        ("张厂长", "张伟"),
        ("吕师傅", "吕红"),
        ("欧阳经理", "欧阳丽华"),
        ("曾总说的", "曾伟"),
        ("于老板扣钱", "于洋"),
        ("李 组 长", "李娜"),
        ("張廠長", "张伟"),
    ],
    "xiao or lao and surname": [
        ("小李", "李娜"),
        ("老张骂人", "张伟"),
        ("小陈", "陈静"),
        ("老吕", "吕红"),
        ("小欧阳", "欧阳丽华"),
        ("老于", "于洋"),
        ("lao zhang", "张伟"),
    ],
    "given name and jie or ge": [
        ("娜姐", "李娜"),
        ("静姐不帮我们", "陈静"),
        ("敏姐", "方敏"),
        ("红姐", "吕红"),
        ("丽华姐", "欧阳丽华"),
        ("华姐", "欧阳丽华"),
        ("洋哥", "于洋"),
        ("阿芳", "王芳"),
    ],
}

RULE_OF = {
    "surname and title": "derived-title",
    "xiao or lao and surname": "derived-nickname",
    "given name and jie or ge": "derived-nickname",
}


@pytest.mark.parametrize(
    ("text", "member"),
    [pytest.param(t, m, id=f"{kind}: {t!r}") for kind, cases in EVASIONS.items() for t, m in cases],
)
def test_the_name_is_found_however_it_is_written(text: str, member: str) -> None:
    assert names(text) == {member}


def test_every_evasion_class_has_at_least_five_examples() -> None:
    assert all(len(cases) >= 5 for cases in [*EVASIONS.values(), *DERIVED.values()])


@pytest.mark.parametrize(
    ("text", "member", "rule"),
    [
        pytest.param(t, m, "derived-pinyin" if t.isascii() else RULE_OF[kind], id=f"{kind}: {t}")
        for kind, cases in DERIVED.items()
        for t, m in cases
    ],
)
def test_what_the_shop_floor_calls_a_member_is_found_with_its_rule(text: str, member: str, rule: str) -> None:
    (match,) = named_members(text, COMMITTEES)
    assert (match.member, match.rule, match.ambiguous) == (member, rule, False)


def test_a_given_name_shared_by_two_members_fits_both() -> None:
    assert names("伟哥") == {"张伟", "曾伟"}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("王芳", "exact"),
        ("王主任骂人", "alias"),  # a registered alias beats the same form derived
        ("wang fang", "pinyin"),
        ("王经理", "derived-title"),
        ("小王", "derived-nickname"),
        ("Manager Wang", "derived-pinyin"),
    ],
)
def test_the_strongest_rule_is_recorded(text: str, rule: str) -> None:
    (match,) = [m for m in named_members(text, COMMITTEES) if m.member == "王芳"]
    assert (match.committee_id, match.role, match.rule) == ("spt", "management", rule)


@pytest.mark.parametrize(
    "text",
    ["王 芳骂人", "王\u200b芳", "王·芳", "王\n芳", "王\u3000芳", "王芳"[0] + "\u2060" + "芳"],
)
def test_the_registered_name_written_apart_or_hidden_is_found_as_folded(text: str) -> None:
    (match,) = [m for m in named_members(text, COMMITTEES) if m.member == "王芳"]
    assert (match.rule, match.recorded().rule) == ("folded", "folded")


@pytest.mark.parametrize("text", ["陳靜不管", "歐陽麗華", "呂紅扣錢", "張偉打人", "劉國慶罵人"])
def test_the_registered_name_in_traditional_characters_is_found_as_folded(text: str) -> None:
    (match,) = named_members(text, COMMITTEES)
    assert match.rule == "folded"


def test_the_name_as_written_beats_the_name_written_apart() -> None:
    (match,) = [m for m in named_members("王芳 ... 王 芳", COMMITTEES) if m.member == "王芳"]
    assert match.rule == "exact"


def test_what_the_events_carry_of_a_match_is_the_member_and_the_rule_never_the_words() -> None:
    (match,) = named_members("Manager Wang hit me", {"spt": COMMITTEES["spt"]})
    assert match.recorded().model_dump() == {
        "committee_id": "spt",
        "member": "王芳",
        "role": "management",
        "rule": "derived-pinyin",
        "shared": 1,
    }


@pytest.mark.parametrize(
    "text", ["王经理扣我工资", "小王骂人", "老王", "王师傅", "Manager Wang hit me", "wang zong", "王 总 说"]
)
def test_a_shared_surname_is_a_possible_conflict_for_every_member_who_has_it(text: str) -> None:
    matches = named_members(text, COMMITTEES)
    assert {(m.committee_id, m.member) for m in matches} == {("spt", "王芳"), ("safety", "王强")}
    assert all(m.ambiguous and m.shared == 2 for m in matches)


def test_the_registered_alias_of_one_member_is_a_derived_form_of_another() -> None:
    assert found("王主任") == {("spt", "王芳", "alias"), ("safety", "王强", "derived-title")}


@pytest.mark.parametrize(
    "text",
    [
        "王",  # a surname alone
        "那个姓王的又骂人",
        "wang said nothing",
        "the director said no",
        "wangfangzhou",  # romanised matches are whole runs
        "Wang Fangzhou is new",
        "汪芳",  # another character that sounds the same is another person
        "关于经理的问题",  # 于经理 inside 关于
        "由于主管不在",
        "工资小于最低工资",  # 小于 is "less than"
        "安全主任不管",  # 全主任 inside 安全
        "每天干十二个小时",  # 小时 is an hour, not Little Shi
        "厂方经理不理我们",  # 方经理 inside 厂方
        "组长是个老王八蛋",  # an insult, not 老王
        "国庆节加班没有加班费",  # a given name alone is not a name
        "Carolina works here",
        "芳",
        "娜",
        "the canteen is dirty",
        "",
    ],
)
def test_no_absurd_matches(text: str) -> None:
    assert named_members(text, COMMITTEES) == ()


def test_a_single_romanised_syllable_never_stands_for_two() -> None:
    committees = {"c": (Member("于安"), Member("李安"))}
    assert named_members("they deducted 200 yuan", committees) == ()
    assert named_members("Lian works on line 3", committees) == ()
    assert {m.member for m in named_members("yu an and li'an", committees)} == {"于安", "李安"}


def test_english_titles_are_not_read_into_surnames_that_are_english_words() -> None:
    committees = {"c": (Member("何明"), Member("龙华"))}
    assert named_members("the boss he said we must stay", committees) == ()
    assert named_members("he ran headlong into the machine", committees) == ()
    assert {m.member for m in named_members("Mr He said we must stay", committees)} == {"何明"}
    assert {m.member for m in named_members("lao long", committees)} == {"龙华"}


def test_polyphonic_surnames_are_read_as_surnames() -> None:
    committees = {"c": (Member("单雄"), Member("曾伟"))}
    assert {m.member for m in named_members("shan xiong", committees)} == {"单雄"}
    assert {m.member for m in named_members("Zeng Wei", committees)} == {"曾伟"}


def test_registry_names_in_traditional_or_romanised_form_match_simplified_text() -> None:
    committees = {"c": (Member("陳靜"), Member("Maria Lopez", ("Mary",)))}
    assert {m.member for m in named_members("陈静", committees)} == {"陳靜"}
    assert {(m.member, m.rule) for m in named_members("ask mary", committees)} == {("Maria Lopez", "alias")}
    assert {(m.member, m.rule) for m in named_members("Lopez Maria", committees)} == {
        ("Maria Lopez", "pinyin")
    }


def test_a_name_deep_in_a_long_text_is_found() -> None:
    text = "工资没发，组长天天骂人，wages unpaid and the supervisor shouts. " * 80
    assert named_members(text, COMMITTEES) == ()
    assert names(text + "王\u200b芳") == {"王芳"}


def test_the_tables_are_written_in_the_folded_form_the_text_is_read_in() -> None:
    from services.router import nametables
    from shared.textfold import compact

    han = [
        *nametables.COMPOUND_SURNAMES,
        *nametables.TITLES,
        *nametables.GIVEN_SUFFIXES,
        *nametables.COMMON_WORDS,
    ]
    assert [w for w in han if compact(w) != w] == []
    latin = [
        *nametables.PINYIN_TITLES,
        *nametables.HONORIFICS,
        *nametables.EN_TITLES,
        *nametables.ENGLISH_WORDS,
    ]
    assert [w for w in latin if not (w.isascii() and w.isalpha() and w.islower())] == []
