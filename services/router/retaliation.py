"""Whether a grievance reports a reprisal: pure, and decided before any score (design sections 8-10).

A worker who writes "I complained and now they cut my wages" (投诉之后被扣工资) is not reporting a
wage problem: they are reporting that the factory punished them for speaking up, and the factory
committee is then the last place the case may go. So any retaliation signal makes the category
``retaliation``, whatever else scores higher. A signal is either

- a word that means reprisal on its own (报复, 穿小鞋, 秋后算账, retaliate, victimised), or
- an act of speaking up (a complaint, a report, the auditor, a hotline, the labour bureau, joining a
  union, asking for the wages owed: 讨薪) tied to an adverse action (fired, cut wages, moved to the worst job, threatened, beaten):
  by a cause before it ("because I complained", 因为投诉), a sequel after it ("... and now", 投诉之后,
  投诉完就), or a threat aimed at those who have already spoken up ("谁再投诉就开除", "workers who
  complain get transferred").

A threat that deters before anyone has complained ("谁投诉就扣工资", "if you complain you will be
fired") is a signal too: it is a threat of reprisal for speaking up, made by the factory's side, and
the worker who reports it to a committee that includes management is exposed to it. When in doubt
the case goes to the NGO. A complaint verb alone is no signal: "我要投诉，工资三个月没发" and "I want
to complain about unpaid wages" are about wages. Patterns read the folded text
(:mod:`shared.textfold`): Chinese ones its letters and digits only, English ones its words.
"""

from __future__ import annotations

import re

_WANT_ZH = "(?<!要)(?<!想)(?<!怎么)(?<!如何)(?<!可以)(?<!能)(?<!准备)(?<!打算)"
# A complaint that is only supposed (谁投诉就..., 如果投诉...) is a deterrent threat, not a sequel.
_IF_ZH = "(?<!谁)(?<!敢)(?<!如果)(?<!要是)(?<!哪个)(?<!万一)"
_SPEAK_ZH = (
    "(投诉|投述|头诉|投拆|举报|反映|申诉|告状|告到|告发|说了实话|讲了实话|说实话|讲实话|验厂|审核|"
    "劳动局|劳工局|劳工处|劳动监察|仲裁|12345|12333|热线|联名|签名|曝光|上访|维权|说了几句|提意见|提了意见|"
    "加入工会|参加工会|组织工会|罢工|讨薪|讨工资|讨要工资|追讨工资|讨说法|讨公道)"
)
_ADVERSE_ZH = (
    "(扣.{0,3}(工资|钱|奖金|薪|工钱|绩效|全勤)|扣了|罚款|罚钱|罚了|开除|辞退|解雇|炒鱿鱼|炒了|被炒|"
    "调岗|调到|调去|调走|换岗|降薪|降职|降级|减薪|减.{0,2}工资|少发|不给.{0,2}排班|不排班|不给.{0,3}加班|"
    "不让.{0,3}加班|关(了|进|起来|在)|小黑屋|消失|(加班|班|活).{0,2}(没了|取消)|停.{0,2}工|找麻烦|找茬|找碴|刁难|针对|威胁|恐吓|排挤|孤立|骂|打了?我|打了|被打|赶走|"
    "逼.{0,2}(辞职|走|离职)|劝退|整我|不让.{0,2}上班|不给.{0,2}活|最累|最差|最脏|夜班|"
    "被.{0,4}(打|揍|踢|踹|殴))"
)
_STRONG_ZH = re.compile("报复|报负|被抱负|穿小鞋|秋后算账|黑名单|拉黑")
_CAUSE_ZH = re.compile(f"(因为|由于|自从|为了).{{0,12}}?{_WANT_ZH}{_SPEAK_ZH}")
_SEQUEL_ZH = re.compile(
    f"{_WANT_ZH}{_IF_ZH}{_SPEAK_ZH}.{{0,10}}?(之后|以后|后来|过后|后(?!勤|门|面|道|边|台|天)|完|第二天|结果|然后|马上|从此|现在|以来|就|被)"
)
_THREAT_ZH = re.compile(
    f"(谁|哪个).{{0,3}}再{_SPEAK_ZH}.{{0,6}}?就|{_SPEAK_ZH}(过|了)?的(人|工人|员工|同事)|带头的"
    f"|再(乱说|乱讲|闹|说|投诉|举报|告).{{0,4}}就|再去?{_SPEAK_ZH}.{{0,2}}就"
)
# "Whoever complains / if you complain ... then ...": a threat against speaking up at all.
_DETER_ZH = re.compile(f"(谁|敢|如果|要是|哪个|万一|假如).{{0,3}}?{_SPEAK_ZH}.{{0,6}}?(就|的话|会)")
_ADVERSE_ZH_RE = re.compile(_ADVERSE_ZH)

_WANT_EN = (
    r"(?<!want to )(?<!would like to )(?<!how to )(?<!how do i )(?<!how can i )(?<!can i )(?<!where to )"
)
_SPEAK_EN = (
    r"(complain\w*|complan\w*|reported|reporting|report(ed)? (it|this|that|him|her|them|the \w+)|"
    r"(spoke|speak|speaking|talked|talk|talking) (up|to|with)|told (the |our )?(auditors?|brand|buyers?|inspectors?|ngo|media|"
    r"journalists?|police|labou?r bureau|truth)|called (the )?(hotline|labou?r bureau|police|12345|12333)|hotline|"
    r"labou?r bureau|petition\w*|(signed|wrote|sent) (the |a |our )?(complaint|petition|letter)|grievances?|"
    r"(joined|joining|join) (the |a )?union|union activit\w*|went on strike|striking|organi[sz]ing|"
    r"audit(or)? interviews?|interviewed by (the )?auditors?|went to the (labou?r bureau|police|brand)|"
    r"(asked|asking|demanded|demanding|demand) (for )?(our |their |my |his |her |the )?(unpaid |back |overtime )?(wages?|pay|salary|salaries))"
)
_ADVERSE_EN = re.compile(
    r"\b((cut|cuts|reduced?|took away|take away|taken away|stopped|stop) (\w+ ){0,2}(wages?|pay|hours|overtime|salary|"
    r"bonus|shifts?)|deduct\w*|docked|fined|fired|fire (me|us|him|her|them|anyone|workers)|sacked|dismissed|let go|"
    r"terminated|laid off|(lose|lost|losing) (your |my |our |their |the )?(jobs?|overtime|bonus|wages?|pay|"
    r"shifts?|work)|demoted|transferred|moved (me|us|him|her|them)|punish\w*|threat\w*|har+as+\w*|bully\w*|"
    r"beat|beaten|beating|hit (me|us|him|her)|slapped|rough\w* (\w+ )?up|punch\w*|kick\w*|attack\w*|assault\w*|"
    r"hurt (me|us|him|her|them)|deport\w*|blacklist\w*|no (more )?overtime|(no|fewer|less) (shifts|work|"
    r"hours|overtime)|night shift|missing|disappeared|vanished|(kept|locked|shut) (me|us|him|her|them) (in|up)|make (me|us|him|her|them) disappear|worst (job|work|position|line|shifts?)|(was|were|got|been|is|are|get) (moved|transferred|sent) to|insult\w*|shout\w*|yell\w*|forced (me |us )?to "
    r"(resign|quit)|made (me|us) (resign|quit)|give (me|us) no|targeted|picks? on)\b"
)
_STRONG_EN = re.compile(
    r"\b(ret[ai]{1,2}l+i?at\w*|reprisal\w*|revenge|victimi[sz]\w*|blacklist\w*|"
    r"punish\w* (me|us|him|her|them|workers?|people|anyone) for)\b"
)
_CAUSE_EN = re.compile(rf"\b(after|since|because|for|when|once)\b.{{0,25}}?{_WANT_EN}\b{_SPEAK_EN}\b")
_SEQUEL_EN = re.compile(
    rf"{_WANT_EN}\b{_SPEAK_EN}\b.{{0,40}}?\b(and now|now|then|the next day|next day|since then|afterwards|after that|"
    r"so (they|he|she|the)|and (they|he|she|the|my|our))\b"
)
# "whoever complains", and "if you talk to the auditors again": aimed at those who already spoke up.
_THREAT_EN = re.compile(
    rf"\b(who|anyone who|whoever|those who)\s(\w+\s)?{_SPEAK_EN}|\b{_SPEAK_EN} (\w+ ){{0,3}}again\b"
)
_DETER_EN = re.compile(rf"\b(if|once|whenever) (you|we|they|anyone|workers?|someone|i) (\w+ )?{_SPEAK_EN}")


def _tied(pattern: re.Pattern[str], adverse: re.Pattern[str], text: str, *, after_only: bool) -> bool:
    """True when ``pattern`` occurs and an adverse action follows it (or occurs anywhere)."""
    for found in pattern.finditer(text):
        rest = text[found.end() :] if after_only else text
        if adverse.search(rest):
            return True
    return False


def signal(spaced: str, han: str) -> bool:
    """True when the folded text reports a reprisal for speaking up (see the module's docstring).

    ``spaced`` is :func:`shared.textfold.spaced` of the text, ``han`` its :func:`~shared.textfold.compact`.
    """
    if _STRONG_ZH.search(han) or _STRONG_EN.search(spaced):
        return True
    return (
        _tied(_CAUSE_ZH, _ADVERSE_ZH_RE, han, after_only=False)
        or _tied(_SEQUEL_ZH, _ADVERSE_ZH_RE, han, after_only=True)
        or _tied(_THREAT_ZH, _ADVERSE_ZH_RE, han, after_only=True)
        or _tied(_DETER_ZH, _ADVERSE_ZH_RE, han, after_only=True)
        or _tied(_CAUSE_EN, _ADVERSE_EN, spaced, after_only=False)
        or _tied(_SEQUEL_EN, _ADVERSE_EN, spaced, after_only=True)
        or _tied(_THREAT_EN, _ADVERSE_EN, spaced, after_only=False)
        or _tied(_DETER_EN, _ADVERSE_EN, spaced, after_only=True)
    )
