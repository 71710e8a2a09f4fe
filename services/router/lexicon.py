"""The weighted zh + en lexicon behind :mod:`services.router.classify` (design section 10).

Each entry is (pattern, category, weight, severity or None). Chinese patterns are plain substrings;
English patterns are regular expressions matched on word boundaries, so "fire exit" never matches
"fired". Text is NFKC-normalised and case-folded before matching, so patterns are written in lower
case and half-width. A longer, more specific phrase carries more weight than the short words inside
it ("加班费" is about wages, "加班" about hours). A severity given here overrides the category's
default, which is how a locked fire exit or a beating becomes critical.
"""

from __future__ import annotations

from typing import Literal

SeverityName = Literal["critical", "high", "normal"]
Entry = tuple[str, str, int, SeverityName | None]

# The severity a category has when no term says otherwise (design section 8).
BASE_SEVERITY: dict[str, SeverityName] = {
    "child_labour": "critical",
    "forced_labour": "critical",
    "health_safety": "normal",
    "freedom_of_association": "normal",
    "discrimination": "normal",
    "harassment_abuse": "high",
    "working_hours": "normal",
    "wages": "high",
    "retaliation": "high",
    "other": "normal",
}

# When two categories score the same, the graver one wins.
PRIORITY: tuple[str, ...] = (
    "child_labour",
    "forced_labour",
    "health_safety",
    "retaliation",
    "harassment_abuse",
    "wages",
    "discrimination",
    "freedom_of_association",
    "working_hours",
    "other",
)

ZH: tuple[Entry, ...] = (
    # child labour
    ("童工", "child_labour", 5, None),
    ("未成年", "child_labour", 4, None),
    ("未满16", "child_labour", 5, None),
    ("未满十六", "child_labour", 5, None),
    ("14岁", "child_labour", 4, None),
    ("15岁", "child_labour", 4, None),
    ("十四岁", "child_labour", 4, None),
    ("十五岁", "child_labour", 4, None),
    ("初中生", "child_labour", 3, None),
    ("小孩", "child_labour", 2, None),
    # forced labour
    ("扣押身份证", "forced_labour", 6, None),
    ("扣身份证", "forced_labour", 6, None),
    ("收走身份证", "forced_labour", 6, None),
    ("身份证被扣", "forced_labour", 6, None),
    ("身份证", "forced_labour", 2, None),
    ("强迫劳动", "forced_labour", 6, None),
    ("不让辞职", "forced_labour", 5, None),
    ("不准辞职", "forced_labour", 5, None),
    ("不让离开", "forced_labour", 5, None),
    ("不准离开", "forced_labour", 5, None),
    ("锁在宿舍", "forced_labour", 6, None),
    ("押金", "forced_labour", 3, None),
    # health and safety
    ("安全出口", "health_safety", 5, "critical"),
    ("消防通道", "health_safety", 5, "critical"),
    ("逃生通道", "health_safety", 5, "critical"),
    ("锁门", "health_safety", 4, "critical"),
    ("被锁", "health_safety", 3, "critical"),
    ("受伤", "health_safety", 4, "critical"),
    ("工伤", "health_safety", 4, "critical"),
    ("骨折", "health_safety", 4, "critical"),
    ("着火", "health_safety", 4, "critical"),
    ("火灾", "health_safety", 4, "critical"),
    ("中毒", "health_safety", 4, "critical"),
    ("晕倒", "health_safety", 4, "critical"),
    ("灭火器", "health_safety", 3, None),
    ("口罩", "health_safety", 3, None),
    ("防护", "health_safety", 3, None),
    ("化学品", "health_safety", 3, None),
    ("粉尘", "health_safety", 3, None),
    ("噪音", "health_safety", 2, None),
    ("高温", "health_safety", 2, None),
    ("安全", "health_safety", 2, None),
    # freedom of association
    ("工会", "freedom_of_association", 4, None),
    ("集体谈判", "freedom_of_association", 5, None),
    ("集体协商", "freedom_of_association", 5, None),
    ("罢工", "freedom_of_association", 4, None),
    ("工人代表", "freedom_of_association", 3, None),
    ("选举", "freedom_of_association", 3, None),
    # discrimination
    ("歧视", "discrimination", 5, None),
    ("怀孕", "discrimination", 4, None),
    ("孕妇", "discrimination", 4, None),
    ("乙肝", "discrimination", 4, None),
    ("残疾", "discrimination", 3, None),
    ("外地人", "discrimination", 3, None),
    ("少数民族", "discrimination", 4, None),
    ("年纪大", "discrimination", 3, None),
    # harassment and abuse
    ("性骚扰", "harassment_abuse", 6, None),
    ("骚扰", "harassment_abuse", 5, None),
    ("动手动脚", "harassment_abuse", 5, None),
    ("辱骂", "harassment_abuse", 5, None),
    ("侮辱", "harassment_abuse", 4, None),
    ("骂", "harassment_abuse", 3, None),
    ("打人", "harassment_abuse", 6, "critical"),
    ("被打", "harassment_abuse", 6, "critical"),
    ("殴打", "harassment_abuse", 6, "critical"),
    ("打了", "harassment_abuse", 4, "critical"),
    ("打我", "harassment_abuse", 5, "critical"),
    ("体罚", "harassment_abuse", 5, "critical"),
    ("罚站", "harassment_abuse", 4, None),
    ("威胁", "harassment_abuse", 2, None),
    # working hours
    ("加班", "working_hours", 3, None),
    ("超时", "working_hours", 3, None),
    ("休息日", "working_hours", 3, None),
    ("没有休息", "working_hours", 4, None),
    ("不能休息", "working_hours", 4, None),
    ("每天工作", "working_hours", 3, None),
    ("工作时间", "working_hours", 3, None),
    ("小时", "working_hours", 1, None),
    ("夜班", "working_hours", 2, None),
    ("周末", "working_hours", 1, None),
    # wages
    ("工资", "wages", 4, None),
    ("加班费", "wages", 6, None),
    ("欠薪", "wages", 5, None),
    ("拖欠", "wages", 4, None),
    ("克扣", "wages", 4, None),
    ("扣钱", "wages", 4, None),
    ("最低工资", "wages", 5, None),
    ("社保", "wages", 4, None),
    ("罚款", "wages", 3, None),
    ("工钱", "wages", 4, None),
    ("奖金", "wages", 3, None),
    ("没发", "wages", 2, None),
    # retaliation
    ("报复", "retaliation", 7, None),
    ("打击报复", "retaliation", 8, None),
    ("因为投诉", "retaliation", 7, None),
    ("投诉后", "retaliation", 6, None),
    ("投诉了", "retaliation", 4, None),
    ("穿小鞋", "retaliation", 6, None),
    ("开除", "retaliation", 2, None),
    ("黑名单", "retaliation", 4, None),
    # other: living conditions
    ("食堂", "other", 2, None),
    ("饭菜", "other", 2, None),
    ("宿舍", "other", 2, None),
    ("热水", "other", 1, None),
    ("厕所", "other", 1, None),
)

EN: tuple[Entry, ...] = (
    # child labour
    (r"child(ren)? (labou?r|workers?)", "child_labour", 6, None),
    (r"under ?age(d)?", "child_labour", 5, None),
    (r"(13|14|15)[ -]years?[ -]old", "child_labour", 5, None),
    (r"school (girls?|boys?|children)", "child_labour", 3, None),
    (r"child(ren)?", "child_labour", 2, None),
    # forced labour
    (r"forced labou?r", "forced_labour", 6, None),
    (r"(id|identity) cards?", "forced_labour", 3, None),
    (r"passports?", "forced_labour", 3, None),
    (r"confiscat\w*|took (away )?our (id|passports?)", "forced_labour", 5, None),
    (
        r"not allowed to (leave|quit|resign)|cannot (leave|quit|resign)|can't (leave|quit|resign)",
        "forced_labour",
        5,
        None,
    ),
    (r"debt bondage|bonded", "forced_labour", 6, None),
    (r"deposits?", "forced_labour", 2, None),
    (r"locked (us )?in( the)? dorm\w*", "forced_labour", 6, None),
    # health and safety
    (r"(fire|emergency) (exits?|doors?)", "health_safety", 5, "critical"),
    (r"locked|padlocked", "health_safety", 3, "critical"),
    (r"blocked exits?", "health_safety", 5, "critical"),
    (r"injur(y|ies|ed)|hurt", "health_safety", 4, "critical"),
    (r"accidents?", "health_safety", 3, "critical"),
    (r"fainted|collapsed|poison\w*", "health_safety", 4, "critical"),
    (r"fire(?! (me|us|him|her|them|workers?|people|anyone))", "health_safety", 3, "critical"),
    (r"(protective|safety) (gear|equipment|masks?|gloves)", "health_safety", 4, None),
    (r"masks?|gloves|chemicals?|dust|fumes|noise", "health_safety", 2, None),
    (r"safety|unsafe|dangerous", "health_safety", 2, None),
    # freedom of association
    (r"(trade )?unions?", "freedom_of_association", 4, None),
    (r"collective bargaining", "freedom_of_association", 5, None),
    (r"strikes?", "freedom_of_association", 3, None),
    (r"worker representatives?|elections?", "freedom_of_association", 3, None),
    (r"organi[sz]e|organi[sz]ing", "freedom_of_association", 3, None),
    # discrimination
    (r"discriminat\w*", "discrimination", 5, None),
    (r"pregnan\w*", "discrimination", 4, None),
    (r"hepatitis|disabilit\w*|disabled", "discrimination", 4, None),
    (r"because (i am|i'm) (a woman|a migrant|old|from)", "discrimination", 4, None),
    (r"ethnic\w*|religio\w*|migrants?", "discrimination", 2, None),
    # harassment and abuse
    (r"sexual(ly)? harass\w*", "harassment_abuse", 6, None),
    (r"harass\w*", "harassment_abuse", 5, None),
    (r"touch(ed|es|ing)?", "harassment_abuse", 3, None),
    (r"insult\w*|humiliat\w*|abus\w*", "harassment_abuse", 4, None),
    (r"shout\w*|yell\w*|scream\w*|curs(e|es|ed|ing)", "harassment_abuse", 3, None),
    (
        r"hit|hits|hitting|beat|beats|beaten|beating|slap\w*|punch\w*|kick\w*",
        "harassment_abuse",
        6,
        "critical",
    ),
    (r"violen\w*", "harassment_abuse", 5, "critical"),
    (r"threat\w*", "harassment_abuse", 2, None),
    # working hours
    (r"overtime", "working_hours", 3, None),
    (r"(\d+|twelve|thirteen|fourteen|fifteen|sixteen) hours?", "working_hours", 3, None),
    (r"hours", "working_hours", 2, None),
    (r"days? off|rest days?|no rest|without rest", "working_hours", 3, None),
    (r"(seven|7) days a week|every day", "working_hours", 3, None),
    (r"night shifts?|shifts?|weekends?", "working_hours", 1, None),
    # wages
    (r"wages?|salar(y|ies)", "wages", 4, None),
    (r"unpaid|not paid|haven't been paid|have not been paid|no pay", "wages", 5, None),
    (r"overtime (pay|premium)", "wages", 6, None),
    (r"minimum wage", "wages", 5, None),
    (r"deduct\w*", "wages", 4, None),
    (r"pay|paid|payslips?|bonus(es)?", "wages", 2, None),
    (r"social insurance", "wages", 4, None),
    # retaliation
    (r"retaliat\w*|revenge|reprisal\w*", "retaliation", 7, None),
    (r"because i complained|after i complained|for complaining|since i complained", "retaliation", 7, None),
    (r"threaten(ed|s)? to fire|fired (me )?for|blacklist\w*", "retaliation", 6, None),
    (r"fired|dismissed", "retaliation", 2, None),
    # other: living conditions
    (r"canteen|food|meals?", "other", 2, None),
    (r"dorm\w*", "other", 2, None),
    (r"toilets?|hot water", "other", 1, None),
)
