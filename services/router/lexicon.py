"""The weighted zh + en lexicon behind :mod:`services.router.classify` (design section 10).

Each entry is (pattern, category, weight, severity or None); every pattern is a regular expression.
Text is folded first (:mod:`shared.textfold`: traditional to simplified, full-width to half-width,
invisible characters removed, case folded), so patterns are written in simplified Chinese, lower
case and half-width. Chinese patterns are matched on the text's letters and digits alone (no
spaces or punctuation: 扣 押 身 份 证 is 扣押身份证); a plain Chinese term of three characters or more
also matches when written with other characters of the same sound, as pinyin keyboards mistype it
(身分证, 消访通道, 加班废). Two-character terms are too short for that (歧视 sounds like 其实,
"actually"), so their common typos are listed as entries of their own. English patterns are matched
on word boundaries, so "fire exit" never matches "fired".

A longer, more specific phrase carries more weight than the short words inside it ("加班费" is about
wages, "加班" about hours). A severity given here overrides the category's default, which is how a
locked fire exit or a beating becomes critical. Retaliation is decided before any score, by
:mod:`services.router.retaliation`; the retaliation entries here only score the texts it lets pass.
"""

from __future__ import annotations

from shared.contracts import Severity

Entry = tuple[str, str, int, Severity | None]

# The severity a category has when no term says otherwise (design section 8).
BASE_SEVERITY: dict[str, Severity] = {
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

_DOCUMENTS = "(身份证|身分证|证件|护照)"
_KID = "(小孩|孩子|细路|细佬仔|小朋友|小女孩|小男孩|娃娃)"
_AT_WORK = "(上班|干活|做工|打工|做嘢|踩车|工作|做事)"
_WORKPLACE = "(车间|厂里|线上|流水线|包装部|仓库)"
_AGE_ZH = "(1[0-5]|十[一二三四五]?[一二三四五六]?)周?岁"

ZH: tuple[Entry, ...] = (
    # child labour
    ("童工", "child_labour", 5, None),
    ("铜工|童功|桐工|童公", "child_labour", 4, None),  # typos of 童工 (not 同工: 同工同酬 is equal pay)
    ("未成年", "child_labour", 4, None),
    ("(未满|不满|不到)(1[4-8]|十[四五六七八])", "child_labour", 5, None),
    (f"(?<![0-9二三四五六七八九]){_AGE_ZH}", "child_labour", 4, None),
    ("年龄不(够|到|满)", "child_labour", 5, None),
    ("初中生|初中没毕业|小学生", "child_labour", 3, None),
    ("学生工|暑假工|寒假工", "child_labour", 3, None),
    ("十几岁", "child_labour", 3, None),
    # A worker's own child is not child labour: only a child at work counts.
    (f"{_KID}.{{0,8}}{_AT_WORK}|{_WORKPLACE}.{{0,8}}{_KID}", "child_labour", 3, None),
    # forced labour
    (
        f"(扣押|扣压|扣住|扣着|扣了|扣|收走|收起|收了|收|拿走|拿了|押|没收|留着|不还)(了)?(我们|我|工人|员工|大家|所有人)?的?{_DOCUMENTS}",
        "forced_labour",
        6,
        None,
    ),
    (
        f"{_DOCUMENTS}(被|给)?(公司|厂里|工厂|老板|中介|主管|经理)?(扣|收|拿|押|压|没收|留)",
        "forced_labour",
        6,
        None,
    ),
    (_DOCUMENTS, "forced_labour", 2, None),
    (
        "强迫劳动|强迫(我们|工人)?(做工|干活|劳动|工作)|被逼(着)?(做工|干活|做事|工作)",
        "forced_labour",
        6,
        None,
    ),
    (
        "(不让|不准|不许|不批|不给)(我们|我|工人|大家)?.{0,4}?(辞职|离职|离开|出去|出门|回家|走)",
        "forced_labour",
        5,
        None,
    ),
    ("辞职不批|走不了|出不去|不放人|想走.{0,2}不让", "forced_labour", 5, None),
    ("(才能|才可以|才准|才让|才放)(回家|走|离开|辞职|离职)|不让(吃饭|睡觉)", "forced_labour", 5, None),
    (
        "锁在宿舍|宿舍.{0,6}(锁起来|锁上|反锁|锁住|被锁)|锁起来|关在(厂|宿舍|车间|工厂)|被关(起来)?",
        "forced_labour",
        5,
        None,
    ),
    ("押金|介绍费|中介费", "forced_labour", 3, None),
    ("(做工|干活|打工)(来)?还|还债|抵债|欠.{0,4}钱.{0,6}(做|干|还)|欠.{0,6}债", "forced_labour", 6, None),
    ("不给饭吃", "forced_labour", 4, None),
    # health and safety
    (
        "安全出口|紧急出口|逃生门|逃生通道|消防通道|消防门|安全通道|疏散通道|消防楼梯|安全门",
        "health_safety",
        5,
        "critical",
    ),
    ("出口.{0,3}(锁|堵)|通道.{0,3}(锁|堵)", "health_safety", 5, "critical"),
    ("锁门|被锁|锁着|锁住|铁链", "health_safety", 3, "critical"),
    ("受伤|工伤|功伤|公伤|受商|伤了", "health_safety", 4, "critical"),
    ("(压|夹|割|切|烫|烧|砸|撞|扎|刺|摔|划|碰|卷|炸)(伤|断|到手)", "health_safety", 4, "critical"),
    (
        "(手指|手(?!机|续|套)|腿|脚|胳膊|头发)(被)?.{0,3}(断|卷进)|骨折|流血|截肢",
        "health_safety",
        4,
        "critical",
    ),
    ("触电|被电|电到|电打|着火|著火|失火|起火|火灾|爆炸|冒烟", "health_safety", 4, "critical"),
    ("(摔|掉|跌)(下来|下去|倒|伤)|从.{0,6}(摔|掉|跌)", "health_safety", 4, "critical"),
    ("(撞|碾|轧)(到|了|伤)?(人|他|她|我|工人)", "health_safety", 4, "critical"),
    (
        "中毒|晕倒|晕了|晕过去|昏过去|热晕|昏倒|昏迷|中暑|(?<![累饿热冷晒闷吵烦气笑忙吃臭])死(了|亡|人)|送医院|住院",
        "health_safety",
        4,
        "critical",
    ),
    ("漏电|冒火花|隐患", "health_safety", 3, None),
    ("灭火器|消防|防护|口罩|化学品|有毒|粉尘|灰尘|通风", "health_safety", 3, None),
    ("手套|耳塞|化学|味道|气味|噪音|高温|太热|风扇|电梯|电线|危险|头晕|头痛|耳朵", "health_safety", 2, None),
    ("安全", "health_safety", 2, None),
    # freedom of association
    ("工会", "freedom_of_association", 4, None),
    ("公会", "freedom_of_association", 3, None),  # a typo of 工会 as often as the word itself
    ("集体谈判|集体协商", "freedom_of_association", 5, None),
    ("罢工|结社", "freedom_of_association", 4, None),
    ("工人代表|员工代表|职工代表|选举|选.{0,4}代表", "freedom_of_association", 3, None),
    ("代表.{0,6}(指定|点的|定好|内定|说了算)|不让.{0,3}(集会|开会|聚会)", "freedom_of_association", 3, None),
    ("形同虚设", "freedom_of_association", 2, None),
    # discrimination
    ("歧视|岐视|区别对待|差别对待", "discrimination", 5, None),
    ("怀孕|孕妇|乙肝|少数民族", "discrimination", 4, None),
    ("残疾|外地人|本地人|年纪大|年龄|性别", "discrimination", 3, None),
    ("([2-6][0-9]|[二三四五六]十[一二三四五六七八九]?)岁以上", "discrimination", 3, None),
    ("比男.{0,2}(低|少)|同工不同酬|男女不同", "discrimination", 5, None),
    ("因为我是.{1,5}(人|族|女的|女人|女生)", "discrimination", 3, None),
    ("升职|不录用|不招|老乡|劝退|民族", "discrimination", 2, None),
    (
        "(只|不)(招|要|收|用)(男|女)|未婚|已婚|结婚|(回|维吾尔|藏|彝|壮|苗|瑶|土家)族",
        "discrimination",
        4,
        None,
    ),
    # harassment and abuse
    ("性骚扰|性搔扰", "harassment_abuse", 6, None),
    ("骚扰|搔扰|动手动脚|毛手毛脚|辱骂|侮骂|咸湿|下流|猥亵", "harassment_abuse", 5, None),
    ("侮辱|羞辱|吃豆腐", "harassment_abuse", 4, None),
    ("骂|脏话|吼|摸|闹(我|人|佢)", "harassment_abuse", 3, None),
    ("难听|蠢|恐吓", "harassment_abuse", 2, None),
    ("打人|被打|殴打|打伤|扇.{0,3}(耳光|巴掌|脸)|耳光", "harassment_abuse", 6, "critical"),
    ("打我(?!.{0,3}电话)|揍|一拳|巴掌", "harassment_abuse", 5, "critical"),
    (
        "打了(?!.{0,8}(电话|热线|12345|12333|卡|针|包|投诉))(?!.{0,4}工(?![人友仔]))|踢|推了.{0,2}(我|他|她|一把)|掐|拳头",
        "harassment_abuse",
        4,
        "critical",
    ),
    ("体罚", "harassment_abuse", 5, "critical"),
    ("推(倒|我|了我|人)|电棍|棍子|棍棒|警棍", "harassment_abuse", 4, "critical"),
    ("(丢|扔|砸|掷)(我|我们|人|工人|员工|他|她)", "harassment_abuse", 4, "critical"),
    ("罚站", "harassment_abuse", 4, None),
    ("威胁", "harassment_abuse", 2, None),
    # working hours
    ("强迫加班|强制加班", "working_hours", 5, None),
    ("加班|家班|加斑|超时", "working_hours", 3, None),
    ("没有休息|没休息|不能休息|不给休息|只休息|休息一天", "working_hours", 4, None),
    ("休息日|每天工作|工作时间|工时|节假日|通宵|不给请假|不准请假|不让请假", "working_hours", 3, None),
    ("([0-9]+|[一二三四五六七八九十几]+)个?钟(头)?", "working_hours", 3, None),
    ("上.{0,4}天班|连续.{0,4}(天|个月)|做到(半夜|凌晨|深夜|晚上|[0-9]+点)", "working_hours", 3, None),
    ("到(半夜|凌晨|深夜)|夜班|周日|星期天|礼拜天|礼拜日|累死|返工", "working_hours", 2, None),
    ("早[0-9一二三四五六七八九]+晚[0-9一二三四五六七八九十]+|没日没夜|加班加点", "working_hours", 4, None),
    ("小时|周末", "working_hours", 1, None),
    # wages
    ("加班费", "wages", 6, None),
    ("欠薪|最低工资", "wages", 5, None),
    ("工资|公资|薪水|薪资|工钱|出粮|工资条|底薪|拖欠|克扣|扣钱|乱扣|社保|五险一金", "wages", 4, None),
    ("欠.{0,4}(工资|钱|工钱)|扣.{0,2}工资", "wages", 4, None),
    ("罚款|罚钱|奖金|公积金|计件|提成|少发|工字", "wages", 3, None),
    ("少算|算少|漏算|粮期|单价", "wages", 5, None),
    ("压.{0,4}工资|没发|不发|不结|人工", "wages", 2, None),
    # retaliation: services.router.retaliation decides it before any score. A dismissal alone, with
    # nothing else said, may well be a reprisal, so it scores a little.
    ("开除|辞退|解雇|炒鱿鱼|被炒", "retaliation", 2, None),
    # other: living conditions
    ("食堂|饭堂|食唐|饭菜|伙食|宿舍|宿社|厂车|班车", "other", 2, None),
    ("热水|厕所|空调|wifi|网络|太挤|虫子|蚊子|老鼠", "other", 1, None),
)

_AGE_EN = "(1[0-5]|twelve|thirteen|fourteen|fifteen)"
_NOT_DURATION = "(?! (hours?|minutes?|mins?|days?|yuan|rmb|dollars?|percent))"

EN: tuple[Entry, ...] = (
    # child labour
    (r"child(ren)? (labou?r(ers?)?|workers?)", "child_labour", 6, None),
    (r"under ?age(d)?|minors?", "child_labour", 5, None),
    (rf"{_AGE_EN}[ -]?(years?|yrs?)[ -]?old|under (1[4-8]|sixteen|eighteen)", "child_labour", 5, None),
    (rf"(only|just|maybe|about|around|aged?|is|are) {_AGE_EN}{_NOT_DURATION}", "child_labour", 4, None),
    (
        r"just a (kid|child)|childs|(as )?young as (1[0-5]|[0-9])|(1[0-5]) ?(yo|y/o|yrs)|(look|looks|looked|looking) (like )?(1[0-5])",
        "child_labour",
        4,
        None,
    ),
    (r"young teens|teenagers?", "child_labour", 3, None),
    # A worker's own child is not child labour: only a child at work counts.
    (
        r"(children|child|kids?) (work|works|working|on the (line|night shift)|in the (factory|workshop))"
        r"|(hire|hires|hiring|use|uses|using|employ\w*) (\w+ )?(children|kids?)"
        r"|(children|kids?) (sewing|cutting|packing|ironing|making|folding|trimming|stitching|carrying)",
        "child_labour",
        5,
        None,
    ),
    (r"school (girls?|boys?|children|kids)|vocational school", "child_labour", 3, None),
    # forced labour
    (r"forced labou?r|forced to work|debt bondage|bonded", "forced_labour", 6, None),
    (
        r"(took|taken|take|takes|kept|keep|keeps|hold|holds|held|holding|withh[oe]ld\w*|confiscat\w*)\b.{0,25}"
        r"\b(passports?|ids?|id cards?|identity cards?|documents?|papers)",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(passports?|ids?|id cards?|documents?) (was|were|are|is) (taken|kept|held|confiscated)",
        "forced_labour",
        6,
        None,
    ),
    (r"(id|identity) cards?|passports?", "forced_labour", 3, None),
    (
        r"(not allowed to|cannot|can't|cant|can not|won'?t let (me|us)|do not let (me|us)|don'?t let (me|us)) "
        r"(leave|quit|resign|go out|go home)",
        "forced_labour",
        5,
        None,
    ),
    (r"lock\w* (the )?(dorm\w*|gate)|locked (us )?in( the)? dorm\w*", "forced_labour", 6, None),
    (
        r"(if|when) (we|i|you|workers?) (try to )?(leave|quit|resign)\b.{0,40}\b(lose|pay|fined?|forfeit|not get)",
        "forced_labour",
        6,
        None,
    ),
    (r"(call the police|deport\w*|report us).{0,30}\b(leave|quit|resign)\b", "forced_labour", 6, None),
    (r"(stop|stops|stopped) (us|me|workers|people) (from )?(leaving|going out)", "forced_labour", 6, None),
    (
        r"(recruitment|agency|agent'?s?) (fees?|debt|loan)|pay (back|off) (a |the |our |my )?(loan|debt)",
        "forced_labour",
        5,
        None,
    ),
    (r"owe\w*|debts?", "forced_labour", 3, None),
    (r"deposits?|loan", "forced_labour", 2, None),
    # health and safety
    (r"(fire|emergency) (exits?|doors?|stairs?|escapes?|routes?)", "health_safety", 5, "critical"),
    (r"exits? (is |are |was |were )?(locked|blocked|chained)", "health_safety", 5, "critical"),
    (r"lock(ed|d)|padlocked|blocked|chained", "health_safety", 3, "critical"),
    (r"injur\w*|hurt|crushed|bleeding|broken (arm|leg|bones?|hand)", "health_safety", 4, "critical"),
    (r"(cut|lost|crushed|broke) (off )?(\w+ )?(fingers?|hands?|arms?|legs?)", "health_safety", 5, "critical"),
    (
        r"burn(ed|t|s)?|electr\w*cut\w*|electric shock|fainted|collapsed|passed out|poison\w*|vomit\w*|explo\w*",
        "health_safety",
        4,
        "critical",
    ),
    (
        r"(caught|stuck|trapped|pulled) in(to)? (the |a )?(\w+ )?machines?|fell (from|off|down)",
        "health_safety",
        5,
        "critical",
    ),
    (r"accidents?|died|dead|death", "health_safety", 3, "critical"),
    (
        r"fire(?! (me|us|him|her|them|workers?|people|anyone|alarms?|extinguishers?|drills?))",
        "health_safety",
        3,
        "critical",
    ),
    (
        r"(protective|safety) (gear|equipment|masks?|gloves)|ventilation|extinguishers?|fire alarms?",
        "health_safety",
        4,
        None,
    ),
    (
        r"masks?|gloves|chemicals?|dust|fumes|noise|glue|smell|headaches?|heat|too hot|fans?|cough\w*",
        "health_safety",
        2,
        None,
    ),
    (r"safety|unsafe|dangerous", "health_safety", 2, None),
    (r"hospital", "health_safety", 1, None),
    # freedom of association
    (r"(trade |independent )?(unions?|unoins?)", "freedom_of_association", 4, None),
    (
        r"collective(ly)? (bargaining|negotiat\w*|agreements?)|negotiat\w* collectively",
        "freedom_of_association",
        5,
        None,
    ),
    (r"strikes?", "freedom_of_association", 3, None),
    (
        r"worker (representatives?|committees?|reps?)|representatives?|elections?|elected|vot(e|ed|ing)",
        "freedom_of_association",
        3,
        None,
    ),
    (r"organi[sz]\w*|rigged", "freedom_of_association", 3, None),
    (r"meetings?|(our|workers'?) rights", "freedom_of_association", 2, None),
    # discrimination
    (r"discri\w*", "discrimination", 5, None),
    (r"pregnan\w*|hepatitis|disabilit\w*|disabled", "discrimination", 4, None),
    (
        r"because (i am|i'm) (a woman|a migrant|old|from)|treated (worse|differently|unfairly)",
        "discrimination",
        4,
        None,
    ),
    (
        r"(women|female workers?) (get|are paid|earn) (less|lower)|(less|lower) than men",
        "discrimination",
        5,
        None,
    ),
    (r"older workers?|too old|over (4|5)[0-9]|age limit|hometown", "discrimination", 3, None),
    (
        r"ethnic\w*|religio\w*|uyghurs?|minorit\w*|refus\w* to hire|(won'?t|don'?t|do not|not) (hire|hired)",
        "discrimination",
        3,
        None,
    ),
    (r"migrants?|promot\w*", "discrimination", 2, None),
    (r"married|marriage|single women|only (young )?(girls|women|men|boys)", "discrimination", 4, None),
    # harassment and abuse
    (r"sexual(ly)? har+as+\w*", "harassment_abuse", 6, None),
    (
        r"har+as+\w*|sexual (comments?|messages?|jokes?)|grop\w*|dirty (pictures|photos|messages|jokes|talk)|porn\w*",
        "harassment_abuse",
        5,
        None,
    ),
    (
        r"insult\w*|humiliat\w*|abus\w*|bully\w*|calls? us (stupid|animals?|pigs?|dogs?|idiots?)",
        "harassment_abuse",
        4,
        None,
    ),
    (r"touch(ed|es|ing)?|sexual|shout\w*|yell\w*|scream\w*|curs(e|es|ed|ing)", "harassment_abuse", 3, None),
    (r"stupid|idiots?", "harassment_abuse", 2, None),
    (
        r"hit|hits|hitting|beat|beats|beaten|beating|slap\w*|punch\w*|kick(s|ed|ing)?",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        r"violen\w*|kill\w*|chok(e|ed|ing)|strangl\w*|grabbed|pushed|shoved|threw \w+ (\w+ )?(at|on)",
        "harassment_abuse",
        5,
        "critical",
    ),
    (r"threat\w*", "harassment_abuse", 2, None),
    # working hours
    (
        r"(compulsory|mandatory|forced) overtime|overtime is (compulsory|mandatory|forced)",
        "working_hours",
        4,
        None,
    ),
    (r"ov(er|re) ?tim\w*", "working_hours", 3, None),
    (
        r"([0-9]+|twelve|thirteen|fourteen|fifteen|sixteen) hours?|long (hours|shifts)",
        "working_hours",
        3,
        None,
    ),
    (
        r"days? off|rest days?|no rest|without rest|(seven|7) days a week|work(ing)? every day",
        "working_hours",
        3,
        None,
    ),
    (r"every (day|night)", "working_hours", 1, None),
    (
        r"(until|till|til) (midnight|[0-9]+|late)|(from )?[0-9]+ ?am (to|until|till) [0-9]+ ?pm",
        "working_hours",
        3,
        None,
    ),
    (r"(no|any|without) (holidays?|leave|vacation)", "working_hours", 3, None),
    (r"hours|midnight|sundays?|saturdays?|public holidays?|peak season|too long", "working_hours", 2, None),
    (r"night shifts?|shifts?|weekends?", "working_hours", 1, None),
    # wages
    (r"overtime (pay|premium|rate)", "wages", 6, None),
    (r"minimum wage|legal minimum", "wages", 5, None),
    (
        r"unpaid|not (been )?paid|haven'?t been paid|have not been paid|no pay|not rec\w*ved|havent rec\w*ved",
        "wages",
        5,
        None,
    ),
    (r"wad?ges?|sal+[ae]r(y|ies)|payslips?|social insurance|pension", "wages", 4, None),
    (
        r"deduct\w*|docked|take money from|fined|fines|(wages|pay) (is |are )?late|normal rate",
        "wages",
        4,
        None,
    ),
    (r"piece rate|[0-9]+ ?%", "wages", 3, None),
    (r"pay|paid|bonus(es)?", "wages", 2, None),
    # retaliation: services.router.retaliation decides it before any score (see the Chinese entries).
    (r"threaten(ed|s)? to fire", "retaliation", 3, None),
    (r"fired|dismissed|sacked", "retaliation", 2, None),
    # other: living conditions
    (r"canteen|food|meals?|dorm\w*", "other", 2, None),
    (r"shuttle|bus", "other", 3, None),
    (r"toilets?|hot water|wifi|internet|crowded", "other", 1, None),
)
