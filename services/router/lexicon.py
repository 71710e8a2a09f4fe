"""The weighted zh + en lexicon behind :mod:`services.router.classify` (design section 10).

Each entry is (pattern, category, weight, severity or None); every pattern is a regular expression.
Text is folded first (:mod:`shared.textfold`: traditional to simplified, full-width to half-width,
invisible characters removed, case folded), so patterns are written in simplified Chinese, lower
case and half-width. Chinese patterns are matched on the text's letters and digits alone (no
spaces or punctuation: 扣 押 身 份 证 is 扣押身份证); a plain Chinese term of three characters or more
also matches when written with other characters of the same sound, as pinyin keyboards mistype it
(身分证, 消访通道, 加班废); only an entry's top-level words do, since a word inside a group is part
of a phrase (液化气 in "a gas bottle exploded" is no danger alone). Two-character terms are too short for that (歧视 sounds like 其实,
"actually"), so their common typos are listed as entries of their own. English patterns are matched
on word boundaries, every alternative of an entry alike, so "fire exit" never matches "fired" nor
"dust" the inside of "industrial". Characters that only look like the Chinese ones meant (童エ,
出囗) are read as those (:mod:`services.router.classify`).

A critical situation is told in many more words than any list holds: a locked exit is 锁上, 焊死,
封了 or 顶住; a collapse 塌, 垮 or 砸; a beating 按在地上打, 踹 or 掌掴; a confinement 反锁, 看守 or
困喺; a worker's death 猝死 or 救不回. The entries below were grown on batches of development
grievances written in new words, each measured before it was learnt. Each critical family has
ordinary look-alikes that must stay ordinary (a relative who died, a dormitory curfew, a deposit
for work clothes, 点击 a link, 打断 someone speaking), and the entries are narrowed to keep them so.

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

# Papers that hold a worker when kept: identity cards, passports, residence and home-return permits,
# and the bank book and seal that agencies in Taiwan keep from migrant workers.
_DOCUMENTS = "(身份证|身分证|证件|护照|户照|居留证|回乡证|通行证|工作证|存折|印章)"
# Ways out; each is critical when named (a locked or blocked exit is what is reported).
_EXITS_ZH = "安全出口|紧急出口|逃生门|逃生通道|消防通道|消防门|安全通道|疏散通道|消防楼梯|安全门|太平门|走火通道|走火门|逃生楼梯|安全楼梯|逃生梯|安全梯|走火梯|防火梯|逃生口|紧急门|应急门|应急出口|逃生出口|走火出口|消防出口|紧急通道|应急通道|逃生路线|防火门|紧急楼梯"
# Those who hit workers, named between 被 and the blow (被仲介打, 被主管打了一顿).
_BOSS = "(人|他|她|他们|主管|组长|经理|老板|老细|保安|保全|警卫|中介|仲介|拉长|班长|工头|领班|课长|厂长|管理员|同事)"
_KID = "(小孩|孩子|细路|细佬仔|小朋友|小女孩|小男孩|娃娃)"
_AT_WORK = "(上班|干活|做工|打工|做嘢|踩车|工作|做事|剪线|搬货|车衣|打包|帮忙)"
_WORKPLACE = "(车间|厂里|线上|流水线|包装部|仓库)"
_AGE_ZH = "(1[0-5]|十[一二三四五]?[一二三四五六]?)周?岁"

# Ordinary senses of words that the critical entries read, rewritten before any entry is matched:
# each (pattern, replacement) names a use that only looks like a critical one. Kept short and
# specific, since a rewrite that is too broad would hide a real case.
ORDINARY_ZH: tuple[tuple[str, str], ...] = (
    # An exit's sign or light is a fault to fix, not a way out shut.
    (f"({_EXITS_ZH}|逃生|紧急|应急|走火)的?(指示牌|指示灯|标志|标识|标牌|指示|灯)", r"消防\2"),
    # Busy or tired "to death" is a figure of speech; a worker's own child's age is no child at work
    # (a child of theirs at work is still read, by the words for the work).
    ("(忙|累|热|饿|闷|烦|吵|笑|气|困)(到|得)(快|要)死(了|啦)?", r"很\1"),
    # A fire alarm is equipment (it may be faulty); rice burnt in the canteen is cooking.
    ("(火灾|火警|失火|着火)的?(警报器|警报|警铃|铃|报警器|侦测器|探测器)", r"消防\2"),
    (
        "(饭|菜|肉|鱼|粥|面|汤|米饭|饭菜|食物|早餐|午餐|晚餐)(每天|经常|又|都|总是|常常|也|老是)*(烧焦|烧糊|烧黑)",
        r"\1煮糊",
    ),
    # "All the papers" (一切手续) cuts nothing; a phone or a glass dropped and broken is no injury.
    ("一切(手续|东西|费用|事情|问题|证件|文件)", r"所有\1"),
    (
        "(手机|屏幕|萤幕|杯子|碗|镜子|眼镜|手表|电脑)(屏)?(又|被|给|不小心)?(摔|碰|砸|压)(破|烂|坏|碎|裂)",
        r"\1坏",
    ),
    (f"(我|我的|我家)(儿子|女儿|孩子|小孩|仔|女)(今年|才|只有|已经)?{_AGE_ZH}", r"我的孩子"),
    # A first-aid kit is equipment, not first aid given; an escape route explained in a drill is training.
    ("急救(箱|包|用品|培训|课|药)", r"药箱"),
    (f"({_EXITS_ZH}|疏散路线)(图)?(都|也)?(讲|讲解|介绍|说明|教|演示)", r"消防演练"),
)
ORDINARY_EN: tuple[tuple[str, str], ...] = (
    # Cracked tiles are a repair; soup too hot to eat is the canteen's, not the heat's.
    (r"\b(tiles?)\b(.{0,40}?)\bcrack\w*", r"\1\2broken"),
    (
        r"\b(soup|tea|coffee|food|noodles|rice|drinks?|water) (is |was |are )?too hot (to|for)\b",
        r"\1 is served warm \3",
    ),
    # Tired, not dead; a machine or a battery that died; work "killing" someone.
    (r"\bdead (tired|bored|beat|slow|boring|easy)\b", r"very \1"),
    (
        r"\b(phones?|batter(y|ies)|machines?|printers?|scanners?|computers?|engines?|fans?|lamps?|bulbs?)"
        r" (is |are |was |were |has |have |just |always |keeps? |again )*(dead|died|dying)\b",
        r"\1 broken",
    ),
    (r"\b(is|are|was|were) killing (me|us|my (ears|eyes|back|feet|legs|hands))\b", r"\1 wearing \2 out"),
    (
        r"\bkill(s|ing)? (us|me|them|everyone|workers) with (overtime|work|hours|orders|quotas?|targets?)\b",
        r"wear \2 out with \3",
    ),
    # A fine "hit" a worker's pay; a punching machine is a press, its name no blow.
    (
        r"\b(was |were |got |been )?hit (\w+ )?with (a |an )?(\w+ ){0,3}(fines?|penalt\w*|deductions?|charges?)\b",
        r"fined",
    ),
    (r"\bpunch(ing)? (machines?|press(es)?)\b", r"press machine"),
    # A worker asking for a door or a locker to be locked against theft asks for security.
    (
        r"\b(please|pls|plz|should|(want|need|ask|asked|tell|told) (them|someone|security|the guards?) to) lock (the |our |my )?"
        r"(dorm\w*|room|doors?|lockers?|gate)( doors?)?\b",
        r"secure the \5",
    ),
    (
        r"\bkill(s|ing|ed)? (our|my|the|their) (overtime |year-end |monthly |attendance )?(bonus|pay|wages?|overtime|business|mood)\b",
        r"cut \2 \3\4",
    ),
    # Something a worker locked themselves, or a toilet, locker or room kept locked (not a way out).
    (r"\b(i|we|she|he) locked (my|our|her|his) (keys?|phone|bag|bike|locker)", r"\1 lost \2 \3"),
    (
        r"\b(toilets?|lockers?|bedrooms?|room doors?|drawers?|cabinets?|cupboards?)\b((?: [^ ]+){0,4}) locked\b"
        r"(?! (from|on) (the )?outside| (us|them|me|workers) )",
        r"\1\2 shut",
    ),
    # A fire exit's sign or light; food burnt in cooking; a body part that hurts is pain, not an injury.
    (r"\b(fire |emergency )exit (signs?|lights?|lamps?|maps?|plans?)\b", r"exit \2"),
    (r"\bescape (route |door )?(signs?|lights?|lamps?|maps?|plans?)\b", r"exit \2"),
    (
        r"\bburn(s|ed|t|ing)? (the |our |my )?(rice|food|toast|meat|dinner|lunch|soup|vegetables)\b",
        r"overcook \3",
    ),
    (r"\bburnt (toast|rice|food)\b", r"overcooked \1"),
    (r"\bburn(ed|t|ing|s)? the midnight oil\b", r"worked late"),
    (
        r"\b(rice|food|toast|meat|dinner|lunch|soup|vegetables|meals?|noodles|bread) (is |are |was |were |always |often |usually "
        r"|sometimes |again |too )*(burnt|burned|burning)\b",
        r"\1 overcooked",
    ),
    # A target or a quota is "hit", nobody is.
    (
        r"\bhit(s|ting)? (the |our |my |their |a |this |that |its )?(daily |weekly |monthly |production |new |sales |output )?"
        r"(targets?|quotas?|numbers|goals?|deadlines?|limits?)\b",
        r"reach the \4",
    ),
    # A deadline pushed back and workers pushed to go faster are pressure, not a shove; a "slave
    # driver" is a harsh boss; an older relative who died (not at work) is a reason for leave.
    (
        r"\bpush(ed|es|ing)? (back |up |forward )?(the |our |my |a |their )?(deadlines?|dates?|schedules?|quotas?|targets?"
        r"|orders?|deliver(y|ies)|shipments?|meetings?|production|buttons?)\b",
        r"moved the schedule",
    ),
    (
        r"\bpush(ed|es|ing)? (us|me|them|workers|everyone|people|the workers) (hard|harder|to)\b",
        r"pressed \2 \3",
    ),
    (r"\bslave ?drivers?\b", r"harsh boss"),
    (
        r"\b(my|his|her|our|their) (grand ?(mother|father|ma|pa|parents?)|granny|mother|father|mom|mum|dad|parents?|uncle"
        r"|aunt|auntie|cousin|relatives?|(father|mother)[- ]in[- ]law|in-laws) (\w+ ){0,2}(died|passed away|has died|is dead)\b"
        r"(?! (at|in|on|from|after|during|because|when|while|of|under|inside|here|there))",
        r"\1 relative's funeral",
    ),
    (
        r"\b(hands?|backs?|legs?|feet|eyes|arms?|shoulders?|necks?|wrists?|knees?) (still |always |really |often )?hurt\b"
        r"(?! (myself|himself|herself|by|in|at|when|from))",
        r"\1 ache",
    ),
)

ZH: tuple[Entry, ...] = (
    # child labour
    ("童工", "child_labour", 5, None),
    ("铜工|童功|桐工|童公", "child_labour", 4, None),  # typos of 童工 (not 同工: 同工同酬 is equal pay)
    ("未成年", "child_labour", 4, None),
    ("(未满|不满|不到)(1[4-8]|十[四五六七八])", "child_labour", 5, None),
    (f"(?<![0-9二三四五六七八九]){_AGE_ZH}", "child_labour", 4, None),
    (
        f"(只有|才|仅|只|得|不到|未满)(?<![0-9二三四五六七八九]){_AGE_ZH}",
        "child_labour",
        5,
        None,
    ),  # "only 14"
    ("年龄不(够|到|满)|不够(年纪|年龄|岁数)|(年纪|岁数)(太小|不够)", "child_labour", 5, None),
    ("初中生|初中没毕业|小学生", "child_labour", 3, None),
    ("学生工|暑假工|寒假工", "child_labour", 3, None),
    ("十几岁", "child_labour", 3, None),
    (
        "(来了|招了|请了|招进).{0,4}(好多|几个|一批|不少)?(小朋友|小孩|孩子|娃娃)|不查年龄",
        "child_labour",
        4,
        None,
    ),
    ("未够秤|未够年龄|未够岁|放学后.{0,4}(厂|车间)", "child_labour", 5, None),  # Cantonese: under age
    # Still at school: a child in the first years of middle school (not 初一, the first of the month).
    (
        "读初[一二三]|初[一二三]的?(学生|孩子|小孩)|初[一二三]就|小学毕业|还在读(书|初中|小学)|读小学|小妹妹|小弟弟|国中生|国小",
        "child_labour",
        4,
        None,
    ),
    # The same told by the school year's short name (才国二, 读小五), an age said without 岁 (说自己十五),
    # or a minor hired on a relative's identity card.
    (
        "(才|读|念|上|只有|还在读|刚读完|刚上)((国|初)[一二三]|小[一二三四五六])(?![十百千万年月号日点])"
        "|(国|初)[一二三中]的?(学生|小孩|孩子|妹妹|弟弟|女生|男生)"
        "|(说|讲)(自己|她|他)(只有|才|得)?(十[一二三四五]|1[0-5])(岁)?(?![0-9一二三四五六七八九十号日点块元个天年月分])"
        "|(借|用|拿|冒用)(了)?(姐姐|姊姊|哥哥|表姐|表哥|亲戚|别人|妈妈|阿姨|朋友)的?(身份证|身分证|证件)",
        "child_labour",
        6,
        None,
    ),
    (
        "(十[一二三四五]|1[0-5])(十[一二三四五]|1[0-5])周?岁"
        f"|(假|借来|借的)的?{_DOCUMENTS}.{{0,10}}(小女生|小男生|小孩|小朋友|孩子|未成年|年纪小)"
        f"|(小女生|小男生|小孩|小朋友|孩子|未成年).{{0,10}}(假|借来|借的)的?{_DOCUMENTS}",
        "child_labour",
        8,
        None,
    ),
    # Children hidden from the auditors: they are there to be hidden.
    (
        f"(验厂|审核|查厂|检查).{{0,10}}{_KID}.{{0,8}}(躲|藏|赶|放假)|{_KID}.{{0,8}}(躲|藏)(起来|进|在)",
        "child_labour",
        6,
        None,
    ),
    # A worker's own child is not child labour: only a child at work counts.
    (f"{_KID}.{{0,8}}{_AT_WORK}|{_WORKPLACE}.{{0,8}}{_KID}", "child_labour", 3, None),
    (f"(?<!我的)(?<!我)(?<!我家){_KID}.{{0,12}}{_WORKPLACE}", "child_labour", 3, None),
    # forced labour
    (
        f"(扣押|扣压|扣留|扣住|扣着|扣了|扣|收走|收起|收埋|收晒|收了|收|拿走|拿了|攞走|攞咗|押|没收|留着|保管|不还)(了|晒|埋)?"
        f"(我们|我|我哋|工人|员工|大家|所有人|移工|外劳|外籍工人)?(的|嘅)?(.{{0,4}}(和|同|跟))?{_DOCUMENTS}",
        "forced_labour",
        6,
        None,
    ),
    (
        f"{_DOCUMENTS}(被|给)?(公司|厂里|工厂|老板|雇主|中介|仲介|主管|经理)?(扣|收|拿|押|压|没收|留|保管)",
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
        "(不让|不准|不许|不批|不给|禁止)(我们|我|工人|大家|女工)?.{0,4}?(辞职|离职|请辞|辞工|离开|出去|出门|出厂|外出|回家|回国|回乡|返乡|回老家|回宿舍|走)|不(做|干|加班|完成)完?(就|便)(不准|不让|不给)(吃饭|睡觉)",
        "forced_labour",
        5,
        None,
    ),
    (
        "辞职不批|走不了(?!路)|走不掉|走唔到|走唔甩|出唔到|出不去|出不了(厂|门|去)|不放人|想走.{0,2}不让"
        "|不敢(走|辞职|离职|离开|跑)|违约.{0,4}(赔|罚)|不能(出门|外出|出去|离开|出厂)|(不能|不准|不让|不许)(出|离开)(工厂|厂区|大门|宿舍|厂房|厂门)|(离职|辞职|走)就要?赔|走人.{0,3}(一分|没有|不给)"
        "|(出入|出门|外出|离开).{0,4}要.{0,4}(批准|同意|批)|(干满|做满|干完|做完).{0,6}才(发|给|能|可以|放|还|退)",
        "forced_labour",
        5,
        None,
    ),
    ("(大闸|闸门|厂门|大门).{0,4}(锁|关)(上|住|咗|了|起来)", "forced_labour", 5, None),
    ("(才能|才可以|才准|才让|才放)(回家|走|离开|辞职|离职)|不让(吃饭|睡觉)", "forced_labour", 5, None),
    (
        "锁(在|喺)(宿舍|厂|车间|房)|宿舍.{0,6}(锁起来|锁上|上锁|反锁|锁住|被锁)|锁起来|关在(厂|宿舍|车间|工厂)|被关(起来|在(?!门外|外面)|住|着)|被关了.{0,3}(天|晚|夜|小时|个钟)|小黑屋",
        "forced_labour",
        5,
        None,
    ),
    ("押金|介绍费|中介费|中界费|仲介费|违约金|培训费|赔偿金", "forced_labour", 3, None),
    ("还清|(干|做)到还|欠.{0,6}费", "forced_labour", 5, None),
    (
        "(做工|干活|打工)(来)?还|还债|抵债|欠.{0,4}钱.{0,6}(做|干|还)|欠.{0,6}债|欠(了)?(中介|仲介|老板|工头|雇主)",
        "forced_labour",
        6,
        None,
    ),
    ("不给饭吃", "forced_labour", 4, None),
    # Locked in by someone (outweighed by an assault done there; a worker tied up is violence, above).
    (
        "(把|将)(他|她|我|人|工人|我们|大家|她们|他们|女工)(锁|关|反锁)(在|起来|住)(?!名单|门外|外面)",
        "forced_labour",
        5,
        None,
    ),
    # Leaving paid for with wages: the worker is held by them (outweighs the wages).
    (
        "(辞职|离职|辞工|走人|离开|不做)(的话)?(就|便)?要?(扣|罚|没收|不给|不发|赔).{0,6}(工资|薪水|人工|薪资|钱|押金)",
        "forced_labour",
        8,
        None,
    ),
    (
        "(工资|薪水|薪资|人工).{0,4}(被|给)?(中介|仲介|老板|工头|雇主)(拿走|扣走|全拿|拿去|领走)",
        "forced_labour",
        8,
        None,
    ),
    # Sold to the factory, an indenture, slavery, "like a prison".
    (
        "(把|将)(我们|我|工人|人|她们|他们|女工).{0,2}卖(到|给|去)|被卖(到|给|去)|贩卖人口|人口贩卖|卖身契|奴隶"
        "|(像|好似|好像|如同)(坐牢|监狱|犯人|囚犯)|坐牢一样|(当|当成|当作)(犯人|囚犯|奴隶).{0,3}(一样|咁)?(关|锁|看)"
        "|怕(我们|工人|人|大家|你们|他们|她们)?(跑|逃)(掉|走|咗)",
        "forced_labour",
        8,
        None,
    ),
    # Kept in: locked in from outside, watched, not let out (a dormitory curfew is not confinement).
    (
        "(宿舍|厂|车间|房间|工厂|大门).{0,10}(从外面|由外面).{0,2}(反)?锁|反锁|软禁|软进|有人看守|派人看守|(看守|看管)着?(我们|工人|大家|宿舍|厂门|大门|门口)|(?<!被)困(在|喺|住)"
        "|冇得出(街|去|门)|不得外出|(唔|不)(俾|畀)(我|我哋|我们|人|工人)?(走|出去|出街|离开|落楼)"
        # guards posted at the gate (顾着 is Taiwan's "watching over"), workers locked in a room
        "|(保安|警卫|门卫|有人).{0,8}(顾着|守着|挡着|拦着|拦住|挡住)|(保安|保全|警卫|门卫)(会|都会|就)(挡|拦|抓)(?!外|陌生|别人|小偷)|锁(住|起)?(我哋|我们|工人|大家|人)(喺|在)",
        "forced_labour",
        6,
        None,
    ),
    ("(出入|出门|外出|离开).{0,4}要.{0,6}(签字|签名|许可|放行|开条)", "forced_labour", 5, None),
    ("(从|由)外面.{0,2}反?锁|反锁.{0,6}(宿舍|我们|工人|大家|人)", "forced_labour", 5, None),
    ("(急事|有事|出事|生病).{0,4}(也|都)?(不|唔)(开门|放人|放我们|俾出|让出去)", "forced_labour", 5, None),
    # Kept by escort and by threat: a guard who goes along whenever workers go out, wages the employer
    # "keeps for" them with pocket money instead, a runaway threatened with the police or deportation.
    (
        "(出门|出厂|出去|外出|离开|出街|厂门).{0,6}(保安|保全|警卫|门卫|有人|组长|中介|仲介)(陪|跟|押|看)着?"
        "|不能(自己|单独|随便|自由)(出门|外出|出去|离开|出厂)"
        "|(保安|保全|警卫|门卫).{0,4}(日夜|24小时|二十四小时|整天|全天)?(盯着|监视)|(日夜|24小时|二十四小时).{0,4}(盯着|看守|监视)|围墙围住"
        "|(工资|薪水|薪资|人工).{0,6}(直接)?(汇|转|交)(给)?(中介|仲介|他|老板)|(跟|向|问)(中介|仲介|老板|工头).{0,2}借(钱|了)"
        "|(头|前|首)[0-9一二两三四五六七八九十几]+个月.{0,6}(没有|冇|不发|不给|无)(工资|薪水|人工|钱)"
        "|(帮|替|代)(我们|工人|你们|我|大家|她们|他们)(存|保管|储)(着|起来|住)?|零用钱|人身自由|限制(我们|我|工人|大家|员工)?的?自由"
        "|(报警|叫警察|抓|告|送).{0,6}遣返|(把|将)?(你|我|我们|他们|她|他|人)遣返|(逃跑|逃走|跑掉|偷走)(的话)?(就|便|会)",
        "forced_labour",
        6,
        None,
    ),
    (
        "(工资|人工|薪水|钱).{0,8}(中介|老板|工头|组长|经理)代(领|收|管)|(中介|老板|工头|组长|经理)代(领|收|管).{0,4}(工资|人工|薪水|钱)",
        "forced_labour",
        8,
        None,
    ),
    # Wages or fees that hold the worker: paid only at the contract's end, a debt worked off.
    (
        "(合同|到期|做够|干够|做满|干满).{0,6}(才|先).{0,4}(给|发|结|俾|畀)|扣完(之前|以前|才)"
        "|不(能|准|让|许)换(工作|厂)|抵账|抵数"
        # the wages (not a bonus) paid only when the contract or the year is over, lost by leaving early
        "|(工资|薪水|薪资|人工).{0,12}(合同|合约|结束|约满|年底|年尾|做满|做够|到期).{0,6}(才|先).{0,6}(给|发|结|计|俾|畀)"
        "|(中途)?(离开|离职|辞职|走了?|走咗)(就|便|的话)?.{0,3}(拿不到|不给|冇|没有|一分都没)"
        "|(拿走|扣|收走|收了|保管|扣着|拿着|拿了)(我们|我|工人|大家)?的?(提款卡|银行卡|存折)",
        "forced_labour",
        8,  # outweighs the wages it holds: the worker is held by them
        None,
    ),
    # health and safety
    (
        _EXITS_ZH,
        "health_safety",
        5,
        "critical",
    ),
    (
        "出口.{0,4}(锁|堵|挡|堆)|通道.{0,4}(锁|堵|挡|堆)|楼梯.{0,6}门.{0,10}锁|(门|出口|通道|楼梯)前面?.{0,3}(放|堆|摆|停|挡)",
        "health_safety",
        5,
        "critical",
    ),
    # A way out shut: locked, welded, blocked or jammed (a door lock that is broken is not).
    (
        "(门|出口|通道|楼梯|楼道)(被|也|都|一直|晚上|从外面|用)?.{0,6}?"
        "(锁上|锁住|锁死|上了?锁|焊(死|住|起来|上|牢|实)|钉(死|住|起来|上)|封死|封了|封住|封起来|封掉|堵死|堵住|挡住|顶住|关死|堆满|推不开|打不开|过不去|出不去"
        "|绑住|绑死|捆住|拴住)",
        "health_safety",
        5,
        "critical",
    ),
    ("锁门|被锁|锁着|锁住|铁链", "health_safety", 3, "critical"),
    # 工伤保险 is the insurance, asked about before anything happened.
    # Caught or struck by something (被夹到, 被撞了); not 被压, which is also wages held back.
    (
        "被(夹|卷|轧|砸|撞|烫|割|切)(到|伤|中|了|断)|被.{1,4}(割|切|烫|烧|砸|夹|扎|刺)(到|伤|中|断|穿)|大量出血"
        "|烧到(人|我|他|她|手|脸|身)",
        "health_safety",
        4,
        "critical",
    ),
    # No escape from a fire: the way out is the complaint, whatever else is locked.
    (
        "逃不(出|了|掉)|走不出(去|来)|(没|冇)(有)?(地方|路)(可以|可)?(跑|逃)|无路可逃|跑不出(去|来)"
        "|(火|烟|着火|起火|失火|火灾).{0,12}(困|被困|出不来)|被困.{0,6}(火|烟)",
        "health_safety",
        7,
        "critical",
    ),
    # A door "locked too" or barred windows: the way out shut (门锁, the lock itself, is not).
    (
        "门(又|也|都|还|就|全|总是|经常)(被)?锁|(窗|窗户|窗口).{0,4}(铁栏|铁枝|铁条|封死|焊死|钉死)|装了?铁窗",
        "health_safety",
        4,
        "critical",
    ),
    ("受伤|工伤(?!保险|险)|功伤|公伤|受商|伤了|弄伤|搞伤|整伤", "health_safety", 4, "critical"),
    (
        "(压|夹|割|切|削|绞|烫|烧|灼|砸|撞|扎|刺|摔|划|碰|卷|炸)(伤|断|到手|掉|穿|烂|扁|破)",
        "health_safety",
        4,
        "critical",
    ),
    (
        "(压|夹|割|切|烫|烧|砸|撞|扎|刺|划|卷|轧)(到|了|伤)?了?(手|脚|手指|腿|头|脸|眼)|缝了[0-9一二三四五六七八九十几]+针"
        "|重伤|重商|跳楼|跳下(去|来)|倒下|倒在地上|站不起来|走不了路|动不了|流产|小产"
        "|把.{0,3}(手|脚|手指|腿|头)(给)?(压|夹|切|割|轧|砸|卷)|骨头.{0,3}(露|跑出|穿出|刺出|戳出)|(扯|拉)(伤|断)|尿血|便血|(全身|整个身体|满身|脸|皮肤).{0,4}(红疹|疹子|起疹|肿起|起泡)|划开|割开|大口子|伤口"
        "|(被|畀|俾)(机器|冲床|机).{0,3}(夹|家|压|轧|卷|切|砸|扯|啤|绞)|(被|畀|俾)(车|叉车|铲车|堆高机|货车|卡车).{0,2}(撞|压|辗)|(喷|溅|泼)(到|在)?.{0,2}(脸|眼|身上|手)"
        "|唞唔到气|喘不过气|透不过气|呼吸困难|不能呼吸",
        "health_safety",
        4,
        "critical",
    ),
    (
        "皮肤.{0,4}(烂|起泡|过敏|溃烂|红肿|脱皮|掉皮|破皮)|起泡|起水泡|溃烂|血肉模糊|想吐|作呕|恶心",
        "health_safety",
        3,
        "critical",
    ),
    # Harm told by its consequence: a finger gone, a blade flying off, people scalded or struck
    # (烫到好几个人), a pipe burst, limbs numb after solvents, so dizzy one cannot stand (tired legs
    # alone are hours, not this), breath short, a worker out cold.
    (
        "(手指|手指头|指头|手(?!机|续|套|表|环|头)|脚趾|脚|腿|胳膊|手臂|耳朵|眼睛)(就|都|也)?(没了|冇咗|冇晒|不见了)"
        "|[0-9一二两三四五六七八九十几半]+(根|只|节)(手指|手指头|脚趾|指头)"
        "|(刀片|铁片|碎片|零件|螺丝|钻头|砂轮|刀头|铁屑).{0,3}(飞出|弹出|崩出|崩开|飞过来|弹到)"
        "|(夹|割|切|烫|烧|灼|砸|撞|扎|刺|划|卷|轧|炸)(到|伤|中|了)了?(好几个|几个|很多|一些|[0-9一二两三四五六七八九十]+个)?(人|工人|同事|工友|员工)"
        "|(压|夹|割|切|烫|烧|砸|撞|扎|刺|划|卷|轧)(到|伤|中|了)了?(我|他|她|人|工人|同事|工友)的(手|脚|手指|腿|头|脸|眼|身|背|胸|肚)"
        "|(水管|管子|热水管|蒸汽管|罐|桶|轮胎|电池|锅).{0,2}爆(开|裂|炸|了)"
        "|(飞|溅|弹|喷)(进|入|到)了?.{0,4}眼|漏水.{0,6}(配电箱|电箱|电线|插座|电闸)"
        "|(人|工人|他|她|我|同事|工友|员工|阿姨|师傅).{0,2}(掉|跌|摔|落)(进|入)了?.{0,4}(槽|池|缸|桶|罐|坑|井|机器|水里)"
        "|(被|畀|俾)(卷|扯|吸|拖)(进|入)了?.{0,4}(机|滚筒|搅拌|输送带|皮带)|被.{0,4}埋(住|了|在)|活埋"
        "|(手脚|手|脚|全身|四肢|半边身).{0,2}(发麻|都麻|麻了|麻痹|麻木|没知觉|没有知觉|发软)|(冇|没|没有|失去)(咗|了)?知觉"
        "|(机器|机台|冲床|滚筒|机).{0,2}咬(到|住|伤)|(压|砸|撞|烧|摔|夹|轧|碾|毒)死|(插|刺|扎|戳)(到|进|穿|入)了?.{0,3}(脚|手|腿|身|眼|肚)"
        "|(手(?!机)|脚|手指|手臂|腿|骨头|头|胳膊).{0,3}(压|砸|夹|轧|撞)碎|(手|脚|手指|手臂|腿|头|胳膊)被.{0,6}(压|砸|夹|轧|撞|切|割|绞)(碎|断|伤|烂|扁)|吸(到|了|入|咗).{0,6}(毒气|毒烟|有毒|废气|氨气|氯气)|流鼻血|(晕|昏)到.{0,4}(站|走|倒|吐)|呼吸不(过来|到)|喘不上气|透唔到气|吸不到气|喉咙.{0,3}(灼|烧)"
        "|吸(了|入|到|咗)(太多|很多|大量|好多).{0,4}(溶剂|天那水|天拿水|洗板水|开油水|白电油|胶水|油漆|甲苯|苯|甲醛|药水|毒气|烟)",
        "health_safety",
        4,
        "critical",
    ),
    (
        "眼睛.{0,6}(溅|伤|瞎|看不见|看不到)|瞎了|失明|视力.{0,3}(没了|没有了|丧失)|(失去|丧失)视力"
        "|(看东西|视线|视力|眼睛|眼).{0,4}(模糊|看不清|朦)|眼睛.{0,2}(红肿|肿起|刺痛|灼)"
        # a head struck, blood lost
        "|(撞|磕|碰)(到|伤|破)(了)?.{0,2}(头|脸|额头)|头.{0,2}(撞|磕|碰)(到|伤|破)|流(了|咗)(很多|好多|一地|一身|满地|满)?血"
        "|血流(不止|满地|一地)|(很多|好多|一地|满地)的?血",
        "health_safety",
        4,
        "critical",
    ),
    ("窒息|缺氧", "health_safety", 4, "critical"),  # in a tank, a pit, a sealed room
    (
        "(手指|手趾|脚趾|手(?!机|续|套)|腿|脚|胳膊|头发|腰)(被)?.{0,3}(断|卷进)|骨折|流血|截肢",
        "health_safety",
        4,
        "critical",
    ),
    (
        "触电|被电|电到|电打|着火|著火|失火|起火|火灾|爆炸|冒烟|着.{0,2}火|烧起来|火警|大火|火烧"
        "|(?<![发菜饭肉鱼])烧(了|着|黑|焦|坏)|都是烟|浓烟|烟雾|失.{0,3}火|(锅炉|气瓶|煤气|液化气|气罐|管道|压力).{0,4}爆"
        "|炸(过|了|开)|纵火|放火|火舌|火苗|火光|冒火(?!花)|逃命|(拼命|赶紧).{0,2}往外(跑|冲|逃)",
        "health_safety",
        4,
        "critical",
    ),
    # Something fell or gave way on people.
    (
        "坍塌|倒塌|塌|垮了|砸(到|中|了|在)|(?<!人工)(?<!工资)压住(?!.{0,2}(工资|人工|唔出|不发))|压在.{0,4}(下面|底下|身上)|压扁|压到"
        "|(脚手架|架子|货架|墙|屋顶|天花板|吊顶|棚|楼).{0,3}(倒|塌|垮|掉下)|掉(水泥|砖|石头|瓦|天花)",
        "health_safety",
        4,
        "critical",
    ),
    ("(摔|掉|跌)(下来|下去|倒|伤)|从.{0,6}(摔|掉|跌)", "health_safety", 4, "critical"),
    ("(撞|碾|轧)(到|了|伤)?(人|他|她|我|工人)", "health_safety", 4, "critical"),
    # Run over, a weight dropped on a foot, a limb swollen black; workers vomiting or fainting (吐槽 is
    # complaining).
    (
        "(辗|碾|轧|压)(过|到)了?(他|她|我|人|工人|同事)?的?(脚|腿|手|身)|(掉|砸|落|跌)(在|到)(我|他|她|人|工人|同事)?的?(脚|头|手|身|腿)(?!边|旁|前|附近|下面)"
        "|肿(到|得)?(发黑|发紫|变黑|变紫)|(人|工人|女工|同事|工友|大家|我们|她们|他们)(一直|都|也|全|开始|不停)?(在)?(呕吐|吐(?!槽|口水|苦水)|晕倒|昏倒)",
        "health_safety",
        4,
        "critical",
    ),
    (
        "中毒|晕倒|晕了|晕过去|昏过去|热晕|热昏|热倒|咳(出|了|到)?血|倒在.{0,8}(起不来|爬不起来|不动|没反应|没动)|昏倒|昏迷|中暑|(?<![累饿热冷晒闷吵烦气笑忙吃臭])死(了|亡|人|掉)|送医院|住院"
        "|(送|进|去|抬|拉)(了)?(去)?医院|急救|急诊|加护病房|重症监护|icu|呕吐|吐了|拉肚子|晕到(了|在)|坠(落|楼|下|亡)|淹死|溺水|头破血流|(没有|没|失去)(了)?意识|吸入.{0,6}(溶剂|毒|气|烟|粉尘|药水)",
        "health_safety",
        4,
        "critical",
    ),
    # Gas, fumes and chemicals breathed in, with what they do.
    (
        "漏气|泄漏|泄露|泄楼|(化学|毒|气体|药水|溶剂|瓦斯|煤气).{0,4}外(泄|漏)|送医|(煤气|天然气|液化气|瓦斯|氨气|氯气|毒气).{0,4}(漏|泄)|胸口?闷|胸痛|晕埋|头都晕|发晕"
        "|(吸|闻|索)(到|了|咗|入).{0,8}(晕|闷|吐|咳|痛|不舒服)|白烟|黄烟|黑烟|毒烟|(电线|线路|插座|电箱)走火|(漂白|酸|碱|药水).{0,4}(混|沟)",
        "health_safety",
        4,
        "critical",
    ),
    # Electricity: a shock, or live wires bare.
    (
        "电击|被点击|电亲|电死|(俾|畀|被).{0,2}电(亲|到|死|倒|伤)|裸露.{0,2}电线"
        "|(电线|铜线|电箱|电闸|插座|插头).{0,10}(露|裸|破皮|没有皮|掉下来|泡水|泡在水|积水|摸到|碰到|麻)",
        "health_safety",
        4,
        "critical",
    ),
    # Heat: heatstroke, cramps, no water to drink.
    (
        "中数了|中署|热到.{0,2}(抽筋|晕|发晕|吐|虚脱|休克|不行)|休克|嘴唇发白"
        "|(不给|不让|不准)(我们|工人|大家)?喝水|没有?水喝|冇水饮|没有?喝的水"
        "|(锁|关)(了|住|掉)?(饮水|水房|水间)|喝水.{0,4}(浪费时间|不准|扣钱|罚)",
        "health_safety",
        4,
        "critical",
    ),
    ("[3-5][0-9]多?度|[三四五]十多?度|热(到|得)受不了|冷气(坏|不)", "health_safety", 3, None),
    # A machine without its guard, fingers caught in it.
    (
        "(防护罩|防护网|安全罩|保护罩|安全装置|护罩|光栅|安全开关).{0,6}(拆|坏|没有|去掉|取下|不装|失灵)"
        "|(拆|去|取)(掉|了|下)?.{0,4}(防护罩|安全罩|护罩|安全装置|防护网)|冇(晒)?(保护|防护)|啤(亲|到|伤)"
        "|(手|手指|手趾|头发|衣服|袖子).{0,4}(家住|夹住|夹到|家到|卷进|卷入)"
        "|(手|手臂|手指|脚|腿|头发|衣服|袖子|身体|人)(被)?(卡|夹|卷)(在|进|入|住)了?.{0,4}(机|滚轮|滚筒|皮带|输送带|齿轮|辊)"
        "|(感应器|传感器|光栅|安全开关|急停|紧急停止|急停开关).{0,6}(关掉|拆|坏|短接|失灵|屏蔽|不灵|贴住|关了)",
        "health_safety",
        4,
        "critical",
    ),
    # A worker collapsed or died at work (a relative's death is not this: it names the workmate).
    (
        "(一个|一名|个|位|名|有)(工人|同事|工友|员工|人|女工|男工|师傅|阿姨)(被)?(热|累|晒|闷)死|死在(宿舍|车间|厂|线上|机器|机台|工位|岗位|床上|仓库|工地|厕所|洗手间|浴室|房间|工厂)|针.{0,4}(穿|插|刺|扎)(过|进|入|到|穿)?了?.{0,3}(手指|手|指头|指甲)"
        "|(很多|好多|几个|一些|好几个|[0-9一二两三四五六七八九十]+个)(人|工人|女工|同事|工友)?.{0,2}(吐|呕吐|晕|昏)(了|倒)?"
        "|猝死|猝四|病倒|(突然|当场|晕|昏)倒地|倒地不起|(针车|衣车|缝纫机).{0,3}(车|扎|刺|夹|压)(到|伤|穿)|心脏病(发|突发)|心脏病.{0,3}(死|走了|过世|去世)|心梗|心肌梗|脑溢血|脑出血|抽搐|口吐白沫|癫痫"
        "|(上班|加班|工作|车间|线上|干活|做到|工友|同事|师傅|工人).{0,6}中风|暴毙|晕厥|救不回|没救回|不省人事|没(有)?呼吸|(冇|没|没有)再?醒(过来|返)|(已经|人)没了|送到医院|叫(都)?(唔|不)醒|瘫(咗|了|倒|在地)|救护车|抢救"
        "|(工友|同事|工人|员工|女工|男工|有人|老员工|阿姨)"
        "(?!的?(爸爸|妈妈|父亲|母亲|家人|爷爷|奶奶|外公|外婆|老婆|老公|孩子|儿子|女儿|亲戚|朋友)).{0,10}(去世|过世|身亡)"
        "|过劳死|累死在",
        "health_safety",
        4,
        "critical",
    ),
    # Self-harm: a worker at risk of taking their own life (outweighs the unpaid wages that drove it).
    (
        "不想再?活|活不下去|一死了之|轻生|自杀|自沙|自刹|寻死|割腕|安眠药|自残|自尽|结束.{0,4}生命"
        "|吞(了)?.{0,4}(药|安眠药|刀片)|服毒|喝(了)?农药|遗书|撑不下去|撑不住了|想(去)?死|不如死|死了算|寻短见"
        "|上吊|吊颈|烧炭|想不开|开煤气|活着.{0,3}没(有)?(意思|意义)|(结束|了结)(这|这个|掉)?一切|把一切(都)?(结束|了结)|(准备|买)(好)?了?.{0,2}(绳子|木炭|农药|刀片)|(站|坐|爬)(在|上|到)了?(顶楼|天台|楼顶|屋顶|窗台|栏杆).{0,6}(哭|喊|不下来|说要|不肯)|了结(自己|自已|生命)|永远睡(下去|着|过去)|一睡不醒|跳搂|跳落(去|街)|(由|从)天台跳|天台.{0,4}跳|唔想再挨|挨唔落去"
        "|一了百了|一死百了|(喝|吞|饮)(了|咗)?(漂白水|洗洁精|洗衣精|洗衣液|洗衣水|消毒水|农药|杀虫剂|老鼠药|清洁剂|天那水|天拿水)|不想(再)?醒(来|过来)|(割|划|刺|伤害|弄伤|烫)(自己|自已)"
        "|(药|药丸|药片|安眠药|农药|漂白水|洗洁精).{0,3}(吞|喝)(了|咗)?(下去|落去|晒|光)|整(盒|瓶|排|包|板)(药|安眠药|止痛药)",
        "health_safety",
        10,
        "critical",
    ),
    ("压力(很|太|好|特别|非常)?大|睡不好|失眠|焦虑|抑郁", "health_safety", 3, None),
    # A pregnant worker put on work that endangers her (night shifts are hours, not this).
    (
        "(怀孕|孕妇|有孕|身孕|怀运|大肚|大住个肚|孕期|怀咗|有咗|有bb).{0,12}"
        "(喷|化学|烫(台|斗|衣)|很烫|搬(重|货|布|箱)|搬.{0,3}重|扛|爬(上|高)|重物|重货|油漆|辐射|有毒|天拿水|天那水|洗板水|开油水|白电油|胶|药水|高温|溶剂|粉尘|打磨"
        "|漂白|(洗|清).{0,2}(桶|槽|缸)|染缸|高处|梯子|锅炉|炉(边|旁)|烤箱|烘干机|[0-9一二两三四五六七八九十几]+(公斤|斤|kg|磅))",
        "health_safety",
        8,
        "critical",
    ),
    # Exits locked in other words: an iron gate or a chain, the key only with the guard.
    (
        "门.{0,12}(钥匙|锁匙)(只)?(在|喺|由|放在)(保安|门卫|老板|经理|主管)|门.{0,12}(保安|门卫)(拿着|管着|才有)(钥匙|锁匙)"
        "|铁门.{0,6}(锁|关|挂)|挂着?大锁|铁闸.{0,6}(锁|关|闭)|锁实|铁练|(门|出口).{0,6}(拴着|栓着|栓住|绑着)"
        "|门.{0,8}(锁起来|锁了起来)|(一直|晚上|整晚|总是|经常|长期)上锁|(只开|只有)一个.{0,8}(锁|关)",
        "health_safety",
        5,
        "critical",
    ),
    ("漏电|冒火花|隐患|裂缝|开裂|裂开", "health_safety", 3, None),
    ("灭火器|消防|防护|口罩|化学品|有毒|粉尘|灰尘|通风", "health_safety", 3, None),
    (
        "手套|耳塞|打火机|化学|味道|气味|噪音|高温|太热|很热|好热|风扇|电梯|电线|危险|头晕|头痛|耳朵",
        "health_safety",
        2,
        None,
    ),
    ("安全", "health_safety", 2, None),
    # Occupational disease and slow poisoning: dust lungs, benzene and n-hexane, lead; and Taiwan's words
    # for an accident at work (工安意外, 职灾), a gas explosion (气爆) and heat exhaustion (热衰竭).
    (
        "尘肺|矽肺|硅肺|白血病|再生障碍性贫血|职业病(?!.{0,2}(体检|检查))|血铅|铅中毒|正己烷|苯中毒|肺.{0,2}(坏|不行|烂)"
        "|工安意外|意外事故|职灾|职业灾害|气爆|热衰竭|热射病",
        "health_safety",
        5,
        "critical",
    ),
    ("体检|职业健康|工安|安全培训|听力", "health_safety", 2, None),
    ("(脚|腿|腰|背|肩膀|颈)(很|好|超|都|好似)?(酸|痛|疼)", "health_safety", 2, None),
    # Harm already done in weak words: hearing lost, lungs sick, skin eaten away.
    (
        "(耳朵|耳).{0,10}(聋|听不见|听不到)|听力(受损|损伤|丧失)|耳聋|肺病|腐蚀|(皮肤|皮)都?(掉|脱落)",
        "health_safety",
        5,
        "critical",
    ),
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
    ("残疾|外地人|本地人|年纪太?大|年龄|性别", "discrimination", 3, None),
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
    ("骚扰|搔扰|动手动脚|毛手毛脚|乱摸|辱骂|侮骂|咸湿|下流|猥亵", "harassment_abuse", 5, None),
    ("侮辱|羞辱|吃豆腐", "harassment_abuse", 4, None),
    ("非礼|黄色笑话|黄段子|说话很色|色眯眯", "harassment_abuse", 6, None),
    (
        "脱(我|她|人|女工|她们|我们)的?(衣服|裤子)|(手|手指)(伸|放)(进|入|到)(我|她)的?(裙|衣服|裤|内衣|胸)|(扒|扯)(我|她)?的?(衣服|裤子|内衣|裙子)|(锁|关)(上|住)?门.{0,8}(摸|脱|亲|抱|非礼)",
        "harassment_abuse",
        8,  # a door locked to assault someone is the assault, not an exit
        "critical",
    ),
    # Rape, sexual assault, sex demanded for a job: violence, not words.
    (
        "强奸|强坚|强暴|摸(我|她)?的?(下体|私处|胸部)|(晚上|夜里|下班后).{0,2}去(他|她)(的)?(房间|宿舍|家)|奸污|迷奸|性侵|强制猥亵|强吻|强抱|(压|按)(在)?床上|(强迫|逼).{0,6}(性行为|性关系)"
        "|(逼|要|叫|强迫)(我|她|女工|人)(跟|和|同|陪)(他|她|老板|经理|主管).{0,2}睡|(强行|硬嚟|硬来).{0,3}(非礼|亲|摸|抱|脱|发生关系)"
        "|陪睡|陪(他|老板|经理|主管|组长|厂长|课长|客户|老细)(睡|过夜|上床)|(升职|转正|加薪|升迁|续约).{0,8}潜规则|潜规则.{0,8}(升职|转正|女工)|(用|拿)身体(换|交换)|(逼|强迫|威胁|要求|叫|要|让)(她|我|女工|人)?.{0,3}(发生.{0,2}关系|上床)|(不|唔|要|叫|让|逼|必须|得)(她|我|我们|人|女工|她们)?陪.{0,4}睡|(不|唔)(跟|同).{0,4}(睡|上床)|(叫|要|逼|让).{0,4}(开房|上床)"
        "|(跟|陪|和)(他|她|我|老板|经理|主管|组长).{0,4}(过夜|开房)"
        "|(拉|拖|扯|骗|带|推)(我|她|女工|人)?(进|入|到)(厕所|洗手间|仓库|办公室|房间|车里|楼梯间|货仓).{0,10}(摸|亲|抱|脱|非礼)"
        "|(爬|钻|躺|睡)(上|进|到)(了)?(我|她|女工|人家)的?床",
        "harassment_abuse",
        6,
        "critical",
    ),
    # A threat to maim or kill ("打断" alone is interrupting someone).
    (
        "坎死|宰了(我|你|他|她)|黑道|黑社会|打手|弄残|打残|整残|残废|打(到|得|成)(住院|进医院|骨折|流血|吐血|昏)|(叫|找|派)人.{0,6}(打|揍|收拾|修理)|修理(我|你|他|她|人)(?!.{0,2}(机|车|电))|拖(出去|进|到).{0,6}打|打断.{0,3}(腿|手|骨头|脚)|打到.{0,4}(入|进)医院|找人.{0,2}(打|收拾|弄|砍|斩|教训|搞)"
        "|要(你|我|他|她)的?命|让(我|你|他|她)消失|扬言.{0,4}(打|杀|砍|弄)|废了(你|我|他|她)",
        "harassment_abuse",
        5,
        "critical",
    ),
    ("骂|脏话|吼|摸|闹(我|人|佢)", "harassment_abuse", 3, None),
    ("难听|蠢|恐吓|黑面|没(有)?礼貌|不尊重", "harassment_abuse", 2, None),
    ("(说话|讲话|态度)(很|好|超|太|特别)?凶|拍桌子|发脾气|摔东西", "harassment_abuse", 3, None),
    ("要(我|你|他|她)好看|给(我|你)(点)?颜色看", "harassment_abuse", 3, None),
    (
        "打人|被打|被殴|殴打|打伤|扇.{0,3}(耳光|巴掌|脸)|耳光|耳关|耳刮|暴打|毒打|痛打|一顿打",
        "harassment_abuse",
        6,
        "critical",
    ),
    ("打我(?!.{0,3}电话)|揍|一拳|巴掌", "harassment_abuse", 5, "critical"),
    (
        "打了(?!.{0,8}(电话|热线|12345|12333|卡|针|包|投诉|分))(?!.{0,4}工(?![人友仔]))"
        f"|被{_BOSS}.{{0,2}}(打|揍|踢|踹)"
        "(?!了?(电话|卡|分|低分|高分|针|扫|工|包|折|字|印|击|招呼|开|算|听|回))|踢|推了.{0,2}(我|他|她|一把)|掐|拳头",
        "harassment_abuse",
        4,
        "critical",
    ),
    ("体罚|罚.{0,4}跪|跪(在地上|下来)", "harassment_abuse", 5, "critical"),
    # A weapon held up as a threat, dogs set on workers, a drink drugged (outweighs the confinement it enforces).
    (
        "(拿|持|用|举)着?(刀|刀子|菜刀|水果刀|剪刀|棍|铁棍|铁管|枪).{0,4}(威胁|指着|吓|砍|追|戳|对着)|放狗"
        "|下了?药|迷药|(饮料|酒|水|茶|饭)(里|中)?.{0,2}下(了)?药",
        "harassment_abuse",
        8,
        "critical",
    ),
    ("推(倒|我|了我|人)|电棍|棍子|棍棒|警棍", "harassment_abuse", 4, "critical"),
    # Held down, grabbed, struck with something: violence however it is told (动手动脚 is groping).
    (
        "按(在)?地上|按倒|动粗|揪(住|着)|往.{0,3}墙上撞|撞墙|掌掴|拳打脚踢|动手(?!动脚)|鞭子|鞭打|踹"
        "|用.{0,3}(皮带|棍|凳子|椅子|鞭子|剪刀|尺子).{0,3}(抽|打|砸)|抽(我|人|他|她|工人|员工|工友)"
        "|用.{1,4}(抽|打|砸|敲)了?(我|人|工人|员工|工友|他|她|头|手)"
        "|(斩|砍|捅|杀|弄)(死|你|我|人)|打死(你|我|他|她|人)|杀了|往.{0,4}(上|墙|地)撞|抓着.{0,4}(头|头发)|扯.{0,2}头发"
        "|(泼|淋)(我|人|工人|他|她|我们)|(把|将)(她|他|我|人|工人).{0,2}(甩|摔|推|撞|丢|扔)(到|在|向)(墙|地|桌|门|机器)|(把|将|拿|用).{1,6}(泼|淋|倒)(在|到|向)(我|他|她|人|工人|我们)|(把|将)(我|他|她|人|工人)的?(头|脸).{0,2}(撞|砸|按|压)(在|到|向)|硬上(我|她|了)|霸王硬上弓|拿.{1,4}(泼|砸|丢|扔|打|抽|敲)|按(在)?(桌子|床|墙|地)上",
        "harassment_abuse",
        5,
        "critical",
    ),
    ("(丢|扔|砸|掷)(我|我们|人|工人|员工|他|她)", "harassment_abuse", 4, "critical"),
    # A tool picked up and swung, something thrown at a head, a stab: told by the blow, not by a verb of beating.
    (
        "(抄起|拿起|举起|抓起|操起|抡起|提起|拎起|拿着|拎着).{0,4}(扳手|棍|凳|椅|铁管|钢管|锤|剪刀|刀|砖|瓶|管子|板子|钳)"
        ".{0,8}(砸|打|敲|劈|捅|刺|扔|追|抡|戳)"
        "|往(他|她|我|人|工人|我们|他们|她们)的?(头|脸|身|背)上(砸|打|扔|泼|踢|踹|抽)|捅了.{0,4}(一下|一刀|几刀)|捅(了|伤)(他|她|我|人|小)|捅(伤|到)",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        "推(下|落)(楼|去|来)|(把|将)(他|她|我|人|工人|我们)(绑|捆)(在|起来|住)|(绑|捆)(在|住)?.{0,3}(椅子|柱子|床|树|机器)上",
        "harassment_abuse",
        6,
        "critical",
    ),
    ("罚站|罚(我们|我|工人|大家)?.{0,6}站", "harassment_abuse", 4, None),
    # Men sent to "teach" workers a lesson, someone held down; an assault named 侵犯, a woman taken to a
    # hotel while drunk (侵犯 of rights is not this).
    (
        "(叫|找|派|请)(了)?.{0,4}人.{0,4}(来)?(打|揍|收拾|修理|教训|处理)(我|你|他|她|我们|工人|人|你们|他们|她们)"
        "|(处理|解决|做|干)掉(我|你|他|她|人)|(烧|放火烧|砸)(了)?(我|你|他|她)(的)?(家|房子|屋|车)"
        "|(压|按)住(她|我|他|人|我们|女工)|(强迫|逼)(我|她|女工|人).{0,2}(亲|吻|摸|脱)|狗.{0,4}咬(伤|了|到)?(人|工人|我|他|她)",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        "侵犯(?!.{0,6}(权|隐私|利益))|趁.{0,3}(喝醉|醉|睡着|昏)|灌醉"
        "|(带|拉|拖|载|骗|逼|叫|要|强迫)(她|我|女工|人|女生).{0,4}(去|到|进)(酒店|饭店|宾馆|旅馆|旅店|汽车旅馆|房间|他家|他的房间)",
        "harassment_abuse",
        6,
        "critical",
    ),
    ("威胁", "harassment_abuse", 2, None),
    (
        "逼.{0,6}(陪|跟).{0,4}(吃饭|唱歌|喝酒)|陪酒",
        "harassment_abuse",
        4,
        None,
    ),  # pressed to drink, not assault
    # working hours
    ("强迫加班|强制加班", "working_hours", 5, None),
    ("产假|孕检|产检|哺乳假|陪产假", "working_hours", 5, None),
    ("加班|家班|加斑|超时|加(点|多点|些)班", "working_hours", 3, None),
    ("排班|换班|调班|累(瘫|垮|趴)", "working_hours", 2, None),
    ("[0-9一二两三四五六七八九十几]+个?多?小时", "working_hours", 3, None),
    ("没有休息|没休息|不能休息|不给休息|只休息|休息一天", "working_hours", 4, None),
    ("休息日|每天工作|工作时间|工时|节假日|通宵|不给请假|不准请假|不让请假", "working_hours", 3, None),
    (
        "(不给|不准|不让|不批|不许)(我|我们|人|工人|员工|她|他)请假|请假.{0,4}(不批|不准|被拒)|请假单|假单",
        "working_hours",
        4,
        None,
    ),
    ("([0-9]+|[一二三四五六七八九十几]+)个?钟(头)?", "working_hours", 3, None),
    ("上.{0,4}天班|连续.{0,4}(天|个月)|做到(半夜|凌晨|深夜|晚上|[0-9]+点)", "working_hours", 3, None),
    ("到(半夜|凌晨|深夜)|夜班|周日|星期天|礼拜天|礼拜日|累死|返工", "working_hours", 2, None),
    ("早[0-9一二三四五六七八九]+晚[0-9一二三四五六七八九十]+|没日没夜|加班加点", "working_hours", 4, None),
    ("小时|周末", "working_hours", 1, None),
    # wages
    ("加班费", "wages", 6, None),
    # A deposit for work clothes or a key held back is money owed, not a worker held.
    (
        "(工衣|工服|工作服|制服|工具|鞋|饭卡|水卡|钥匙|宿舍|厂牌|工牌|床位|门禁卡|工卡).{0,2}押金|高温补贴|防暑降温费|高温费",
        "wages",
        6,
        None,
    ),
    ("欠薪|最低工资", "wages", 5, None),
    ("讨薪|讨工资|讨要工资|追讨工资", "wages", 4, None),
    ("工资|公资|薪水|薪资|工钱|出粮|工资条|底薪|拖欠|克扣|扣钱|乱扣|社保|五险一金", "wages", 4, None),
    ("欠.{0,4}(工资|钱|工钱)|扣.{0,2}工资", "wages", 4, None),
    ("罚款|罚钱|奖金|公积金|计件|提成|少发|工字", "wages", 3, None),
    ("罚(了)?[0-9一二两三四五六七八九十百几]+(块|元|蚊)", "wages", 4, None),
    ("少算|算少|漏算|粮期|单价", "wages", 5, None),
    ("压.{0,4}工资|没发|不发|不结|人工", "wages", 2, None),
    # retaliation: services.router.retaliation decides it before any score. A dismissal alone, with
    # nothing else said, may well be a reprisal, so it scores a little.
    ("开除|辞退|解雇|炒鱿鱼|被炒", "retaliation", 2, None),
    # other: living conditions
    ("食堂|饭堂|食唐|饭菜|伙食|宿舍|宿社|厂车|班车", "other", 2, None),
    ("吃不到饭|没饭吃|食堂不开", "other", 3, None),
    ("热水|厕所|空调|wifi|网络|太挤|虫子|蚊子|老鼠", "other", 1, None),
    ("(照顾|陪)(怀孕的)?(老婆|老公|家人|父母|孩子|小孩)|回老家", "other", 5, None),
    # Told indirectly: a stair door that no longer pushes open, a doorway piled so that one climbs over
    # machines to leave, a power strip that smoked, a burnt smell where a fire already broke out, fumes
    # that make eyes stream or a throat tighten, a worker raving or gone purple in the heat, someone
    # slumped who no longer responds, blood vomited, a child still losing milk teeth.
    (
        "((楼梯|梯间|出口|车间|厂房)(那边|那里|口)?的?(门|闸)|后门|侧门|边门).{0,6}(推不动|推不开|打不开|开不了)"
        "|门口(全|都)是货|门口堆(满|着)(了)?(货|箱|布)|(出去|出门|离开).{0,4}(要|得)从.{0,8}爬",
        "health_safety",
        5,
        "critical",
    ),
    (
        "(插线板|插座|排插|拖板|电线|插头|电箱|电闸).{0,10}(发烫|冒烟|冒过烟|烧焦|着火|着过)"
        "|(上个?礼拜|上次|上周|上星期|之前|昨天|上个月|前几天).{0,3}着过(一次|火)"
        "|(眼睛|眼)(一直)?流泪.{0,8}喉咙|(味|气味|油味|药水味).{0,6}(呕|吐)(晒|了)"
        "|说胡话|(脸|嘴唇)(发紫|发黑)|(突然|趴|倒|躺|晕).{0,8}(没有|没|冇)(了)?反应|吐血",
        "health_safety",
        6,
        "critical",
    ),
    (f"{_WORKPLACE}.{{0,10}}换牙", "child_labour", 6, None),  # still losing milk teeth, at work
    ("㶶味|焦味|创可贴|急救箱|药箱|医务室|地板.{0,6}滑|地面.{0,6}滑", "health_safety", 3, None),
    # A pregnancy counted in months and a heavy load carried, up the stairs or on the shoulder.
    ("(怀了|怀孕|有孕|身孕).{0,20}(扛|搬|抬|背)", "health_safety", 6, "critical"),
    # Threats and blows told by what was done: people sent to wait on the road, a head pushed under water.
    ("(叫|找)人.{0,10}(堵我|堵他|堵她|打我|教训我)|头按(进|在|入)", "harassment_abuse", 6, "critical"),
    ("强行搞|(对我|对她)做了那种事|(我|她)(一直|拼命)?反抗", "harassment_abuse", 6, "critical"),
    # Kept in: the police threatened on whoever leaves, nowhere to be but the factory, followed everywhere.
    (
        "(谁|哪个)(敢)?走就报警|(走|离开|辞职)(的话)?就报警|下班(以后|后)?(都)?只能(待|呆|留)在(厂|工厂)"
        "|连(买东西|出门|出去)都要登记",
        "forced_labour",
        6,
        None,
    ),
    # Self-harm told by its signs: belongings given away, a wish not to wake again.
    (
        "(自己|所有)的?东西都送(人|给别人|掉)|(唔好|不要|不想|不会)再醒",
        "health_safety",
        6,
        "critical",
    ),
    # A question whether work goes on on a given day is about hours.
    ("还要上班吗|要不要上班|用不用上班", "working_hours", 2, None),
    ("全勤奖.{0,6}发", "wages", 3, None),
    # Papers lost, copied or renewed, and a child on a visit: errands, not a worker held or a child at work.
    (
        f"{_DOCUMENTS}.{{0,3}}(丢|不见|掉了|过期|到期|补办|复印)|(复印|补办|续签|办理)(一下|一张)?.{{0,2}}{_DOCUMENTS}"
        "|(小孩|孩子|儿子|女儿|小朋友).{0,12}(来玩|玩耍|探亲|来看|参观)",
        "other",
        6,
        None,
    ),
)

_AGE_EN = "(1[0-5]|twelve|thirteen|fourteen|fifteen)"
# Parts of a body that machines catch, and the machines that catch them.
_BODY_EN = (
    r"(hands?|fingers?|thumbs?|arms?|legs?|feet|foot|toes?|heads?|hair|sleeves?|faces?|wrists?|elbows?)"
)
_MACHINE_EN = (
    r"(machines?|press(es)?|rollers?|belts?|gears?|conveyors?|drills?|saws?|spindles?|shafts?|cutters?|blades?"
    r"|mixers?|grinders?|shredders?|mangles?)"
)
_NOT_DURATION = "(?! (hours?|minutes?|mins?|days?|yuan|rmb|dollars?|percent))"
# "there are 13 workers on our line" counts people, it tells no one's age.
_NOT_COUNT = "(?! (workers?|people|persons?|girls|boys|of (us|them)|lines?|machines?|fans?|times?|pieces?|rooms?|beds?))"
# A worker's own child is not at work: "my son is 14, can he visit me?"
_NOT_OWN_CHILD = "(?<!son )(?<!daughter )(?<!kid )(?<!child )(?<!baby )(?<!brother )(?<!sister )"

EN: tuple[Entry, ...] = (
    # child labour
    (r"(child(ren)?|chlid(ren)?|kids?) (labou?r(ers?)?|workers?)", "child_labour", 6, None),
    (
        r"(still|only) in (middle|primary|junior high|elementary) school"
        r"|(middle|primary|elementary|junior high) school (students?|kids?|children|girls?|boys?)|junior high (students?|kids)",
        "child_labour",
        4,
        None,
    ),
    (r"under[ -]?age(d)?|minors?", "child_labour", 5, None),
    # Told without a number: too young to work, children employed, "I am 15 and ...", children coming
    # to work in the holidays or helping their parents on the line.
    (
        r"(children|kids?|little ones) (\w+ ){0,2}(come|came|coming) to work|(make|makes|made) (the )?(children|kids) (work|carry|lift)"
        r"|(children|kids?) help(ing|s)? (\w+ ){0,3}(on the line|in the (factory|workshop)|parents)|"
        r"(not old enough|too young) (to work|for (this|the) (work|job))|(children|kids?|minors?) (are |is |were |being )?"
        r"(employed|hired|used)\b"
        rf"|(i am|i'?m|im) {_AGE_EN}{_NOT_DURATION}{_NOT_COUNT}",
        "child_labour",
        5,
        None,
    ),
    (
        rf"{_AGE_EN}[ -]?(years?|yrs?|yers?|yeras?|yaers?)[ -]?olds?|under (1[4-8]|sixteen|eighteen)",
        "child_labour",
        5,
        None,
    ),
    (rf"(only|just|maybe|about|around|aged?) {_AGE_EN}{_NOT_DURATION}{_NOT_COUNT}", "child_labour", 4, None),
    (rf"{_NOT_OWN_CHILD}(is|are) {_AGE_EN}{_NOT_DURATION}{_NOT_COUNT}", "child_labour", 4, None),
    # Told by school year or by an age bound: in grade 7, not finished primary school, none older than 15.
    (
        r"(in|is in|are in|finished|finish) (grade|year|class) [1-8]\b|grade [1-8] (students?|pupils?|girls?|boys?)"
        r"|(not|never|haven'?t|hasn'?t|have not|has not|just) (yet )?(finished|completed|left|graduated from) "
        r"(primary|middle|elementary|junior high) school"
        rf"|(no|none|not one|nobody)( \w+){{0,3}} (is |are )?older than {_AGE_EN}|younger than (1[0-6]|sixteen)"
        rf"|(can'?t|cannot|couldn'?t|could not|can not|no) (be )?(any )?older than {_AGE_EN}"
        rf"|(students?|kids?|children|girls?|boys?|workers?) (of|aged?) {_AGE_EN}{_NOT_DURATION}",
        "child_labour",
        5,
        None,
    ),
    # Children hidden from the auditors: they are there to be hidden.
    (
        r"(young|little|small) ones? (\w+ ){0,3}(hide|hid|hiding|hidden)"
        r"|(children|kids|minors|orphans)\b( \w+){0,4} (work|works|working) (here|in|at|on|for|with)\b"
        r"|(sent|send|sends|put|puts|lock\w*|mov\w*|took|take|takes|rush\w*) (the )?(children|kids|minors|young ones)\b.{0,40}\b(auditors?|inspect\w*|audits?)"
        r"|(hide|hid|hiding|hidden) (\w+ ){0,6}(when|whenever|before|from) (the )?(auditors?|inspectors?|inspections?|audits?)",
        "child_labour",
        5,
        None,
    ),
    (
        r"just a (kid|child)|childs|(as )?young as (1[0-5]|[0-9])|(1[0-5]) ?(yo|y/o|yrs)|(look|looks|looked|looking) (like )?(1[0-5])",
        "child_labour",
        4,
        None,
    ),
    (r"young teens|teenagers?", "child_labour", 3, None),
    # A worker's own child is not child labour: only a child at work counts.
    (
        r"(children|childern|chidren|child|kids?|little (boys?|girls?)|school ?(boys?|girls?)) (is |are )?"
        r"(work|works|working|on the (line|night shift)|in the (factory|workshop))"
        r"|(hire|hires|hiring|use|uses|using|employ\w*) (\w+ )?(children|kids?)"
        r"|(little |small |young )?(children|childern|kids?) (sewing|cutting|packing|ironing|making|folding|trimming|stitching|carrying"
        r"|sorting|gluing|label+ing|loading|counting)",
        "child_labour",
        5,
        None,
    ),
    (r"school ?(girls?|boys?|children|kids)|vocational school|youngsters?", "child_labour", 3, None),
    (
        rf"\b(girls?|boys?|kids?|child|daughter|son|niece|nephew|cousin|sister|brother),? \(?{_AGE_EN}\)?,? (\w+ )?(works?|working|sews?|sewing|cuts?|packs?|irons?)\b"
        r"|(children|childern|kids?) doing (\w+ ){0,2}(cutting|trimming|sewing|packing|ironing|folding|work|jobs?|thread)"
        r"|(fake|false|forged|borrowed) (ids?|id cards?|papers|documents?)\b.{0,30}\b(young|girls?|boys?|kids?|children|minors?|under ?age)"
        r"|(young|girls?|boys?|kids?|children|minors?|under ?age)\b.{0,30}\b(fake|false|forged|borrowed) (ids?|id cards?|papers|documents?)",
        "child_labour",
        5,
        None,
    ),
    # An age told by a birthday or a bound ("just turned 13", "not even fifteen yet"), children set to
    # a task, a school grade by its ordinal, a minor hired on a relative's papers.
    (
        rf"(turned|turning|not even|not yet|barely|hardly|only just) {_AGE_EN}{_NOT_DURATION}{_NOT_COUNT}"
        r"|(children|kids?|little ones|youngsters) (\w+ ){0,2}to (trim|cut|sew|pack|fold|iron|carry|sort|stitch|glue|work)\b"
        r"|(in|is in|are in|be in|finished|finish|only in|still in) (the )?(first|second|third|fourth|fifth|sixth|seventh|eighth"
        r"|[1-8](st|nd|rd|th)) grade\b"
        r"|(someone else'?s|(his|her|their) (older )?(sister|brother|cousin|mother|aunt)'?s) (ids?|id cards?|papers|documents?)",
        "child_labour",
        5,
        None,
    ),
    (rf"(he|she)'?s (only |just )?{_AGE_EN}{_NOT_DURATION}{_NOT_COUNT}", "child_labour", 4, None),
    (
        r"(who|they|kids|children|youngsters|workers|ones) (\w+ )?should be (in|at) school",
        "child_labour",
        5,
        None,
    ),
    # forced labour
    (
        r"forced labou?r|forc\w* to work|forc\w* (us|me|them|workers|people|him|her) to (work|stay)|debt bondage|bonded"
        r"|prisoners?|like (a )?(prison|jail)(?! of)|(in|into) (a |the )?cages?\b|(keep|keeps|kept) (us|them|workers|people) (locked|shut) (in|up|inside)"
        r"|trapped inside|(held|kept|detained|confined) (in|inside) (the |a )?(factory|compound|dorm\w*|room|building|workshop)"
        r"|(held|kept|locked|shut) (me|us|him|her|them) (in|inside) (a |the )?(\w+ )?(room|office|cell|basement|warehouse|container)"
        r"|detain\w*|(don'?t|do not|won'?t|will not|doesn'?t|does not|never) let (us|me|them|workers|anyone) (out|go)\b"
        r"|lock\w* (the )?(us|me|him|her|them|workers?|girls|people) (in|into|up|inside)\b",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(took|taken|take|takes|kept|keep|keeps|hold|holds|held|holding|withh[oe]ld\w*|confiscat\w*)\b.{0,25}"
        r"\b(pas+ports?|ids?|id cards?|identity cards?|documents?|papers|(work|residence) permits?)",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(still )?(has|have|got) (all )?(my|our|their|the workers'?) (ids?|id cards?|pas+ports?|documents?|papers)"
        r"|(pas+ports?|ids?|id cards?|documents?) (are |is |were |was )?locked"
        r"|(give|hand) (\w+ )?back (my|our|their|the) (ids?|id cards?|pas+ports?|documents?|papers)",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(pas+ports?|ids?|id cards?|documents?) (was|were|are|is) (taken|kept|held|confiscated)",
        "forced_labour",
        6,
        None,
    ),
    (r"(id|identity) cards?|pas+ports?|(work|residence) permits?", "forced_labour", 3, None),
    # Papers copied, renewed or lost are an errand, not a worker held.
    (
        r"(cop(y|ies|ied)|photocop\w*|scan\w*|renew\w*|lost|lose|replac\w*|forgot) (a |the )?(of )?(my|our|his|her|the)? ?"
        r"(ids?|id cards?|identity cards?|pas+ports?)|(ids?|id cards?|pas+ports?) (\w+ )?(expir\w*|renew\w*|is lost|is missing)"
        r"|(pas+port|id) (photos?|numbers?|cop(y|ies))",
        "other",
        5,
        None,
    ),
    (
        r"(not allowed to|not free to|cannot|can't|cant|can not|won'?t let (me|us)|do not let (me|us)|don'?t let (me|us)) "
        r"(leave|quit|resign|go out|go home|go back (home|to (my|our|their) (country|village|hometown|family))|return home|go anywhere)"
        r"|restrict\w* (our|my|their|workers'?) (freedom|movement)",
        "forced_labour",
        5,
        None,
    ),
    (
        r"lock\w* (the )?(dorm\w*|gate)|locked (us )?in( the)? dorm\w*"
        r"|lock\w* (us |them |workers )?(in|inside) (the )?(factory|compound|workshop|building)",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(if|when) (we|i|you|workers?) (try to )?(leave|quit|resign)\b.{0,40}\b"
        r"(lose|pay|fined?|forfeit|not get|keep|keeps|withh[oe]ld\w*|take|takes)",
        "forced_labour",
        8,  # a penalty for leaving outweighs the wages it takes: the worker is held by them
        None,
    ),
    (
        r"(call the police|deport\w*|report us).{0,30}\b(leave|quit|resign)\b"
        r"|\b(leaves?|quits?|resigns?|runs? away)\b.{0,30}\b(police|deport\w*|arrest\w*)",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(stop|stops|stopped) (us|me|workers|people) (from )?(leaving|going out)"
        r"|(cannot|can'?t|cant|can not|could not|couldn'?t) (go|step|walk|get) (outside|out of) (the )?(factory|compound|walls?|gates?|dorm\w*)"
        r"|guards? (\w+ ){0,2}(stop|stops|stopped|block\w*) (us|me|them|workers)\b",
        "forced_labour",
        6,
        None,
    ),
    # Watched or fenced in; wages paid over to the agent a worker borrowed from.
    (
        r"guards? (\w+ ){0,2}watch\w* (us|them|workers|the workers)|(kept|held|locked) behind (a |the )?(fence|wall|gate|bars|wire)"
        r"|(salary|salaries|wages?|pay) (\w+ ){0,2}(goes|go|went|is paid|are paid|paid) (straight |directly )?to (the |him|her|them|agent"
        r"|agency|broker|boss)|borrow\w* (\w+ ){0,3}from the (agent|agency|broker|boss|recruiter)",
        "forced_labour",
        8,
        None,
    ),
    (r"traffick\w*|sold (us|me|them|workers|her|him) to|slaves?|slavery", "forced_labour", 8, None),
    # Leaving costs a penalty; those who try to run away are stopped (outweighs the wages or the beating).
    (
        r"(leave|leaving|quit|quitting|resign\w*)\b.{0,50}\b(penalt\w*|pay (a |the )?(fine|compensation))"
        r"|\bpay\b.{0,40}\bbefore (we|i|you|they) (can |could |may )?(leave|quit|go home|resign)"
        r"|(run|ran|running|runs) away (from|if)|(try|tries|tried|trying) to (escape|run away)",
        "forced_labour",
        8,
        None,
    ),
    # Kept inside the walls: the gate not opened, not allowed outside, nobody can go out.
    (
        r"(not|never) (allowed|al+owed|free|let) (to (go|step|walk|set foot|wander) )?(outside|out of|beyond) (the )?(factory|compound|walls?|gates?|dorm\w*)"
        r"|(won'?t|will not|wont|do not|don'?t|never) (open|unlock) the (main |front )?gates?"
        r"|(nobody|no one|noone|no worker) (can|may|is allowed to|could) (go|walk) (out|outside)"
        r"|gates? (is |are |always |kept |stays? )*(lock|locked|chained|closed)\b"
        r"|(can|may) only (go|leave) when (he|she|they|the boss|the manager) (says|allows|lets)",
        "forced_labour",
        6,
        None,
    ),
    # Working a debt off unpaid.
    (
        r"work (\w+ ){0,2}(unpaid|for free|for nothing|without pay) (until|till|untill|to pay|(for|during) (the first|[0-9]+|one|two|three"
        r"|four|five|six|several|many))"
        r"|(until|till|untill) (it|the debt|the loan|everything|the fees?) (is|are) (paid|paid off|paid back|repaid)",
        "forced_labour",
        8,
        None,
    ),
    (
        r"(recr\w*t?ment|agency|agent'?s?) (fees?|debt|loan)|pay (back|off) (a |the |our |my )?(loan|debt)",
        "forced_labour",
        5,
        None,
    ),
    (
        r"work (\w+ ){0,3}to (re)?pay( back| off| for)? (the |a |my |our |his |her |their )?(\w+ )?(tickets?|flights?|airfare|fees?|debts?|loans?|agency|agent|broker|recruit\w*)",
        "forced_labour",
        8,
        None,
    ),
    (r"owe\w*|debts?", "forced_labour", 3, None),
    (
        r"owe\w* (the |my |our |their )?(agent|agency|broker|boss|recruiter|middleman)",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(never|not) (let|allowed|al+owed) (to go )?out(?! early| before)|never let (us|me|them) out|keept? (us |them )?inside"
        r"|kept (us |them )?(inside|locked)|guards? (with dogs )?(watch|watching|guard)\w* (the )?(gate|door|dorm\w*)"
        r"|imprison\w*|trapped (in|inside) the (factory|dorm\w*|compound)",
        "forced_labour",
        6,
        None,
    ),
    (
        r"(held|kept|withh[oe]ld\w*|holds?|holding) (back )?(by (the )?\w+ )?(until|till|untill) (the )?(end|contract|season|year|i|we)\b"
        r"|(until|till|untill) the end of the (\w+[- ]?){0,3}contract|work (them|it|this|that|the debt|our debt|my debt) off"
        r"|work(ed|ing|s)? off (\w+ ){0,3}(debt|loan|fees?|costs?)"
        r"|permission\b.{0,40}\boutside\b|outside\b.{0,20}\bpermission"
        # the wages (not a bonus) kept until the contract ends or the worker goes home; years without pay
        r"|(keeps?|kept|holds?|held|withh[oe]ld\w*|saves?|saved) (\w+ ){0,4}(salary|salaries|salery|wages?|pay)\b.{0,20}"
        r"\b(until|till|untill|when)"
        r"|(pay|paid) (us |me |them )?only (at|when|after) (the )?(end|finish)"
        r"|(only )?(get|receive|paid) (our |my |the )?(wages?|salary|pay) (only )?(when|after) (we|i) (finish|complete|leave)"
        r"|work (\w+ ){0,2}years? without pay|(keeps?|kept|took|takes?|holds?|has) (\w+ ){0,2}(bank ?books?|atm cards?|pin codes?)",
        "forced_labour",
        8,
        None,
    ),
    (r"deposits?|loan", "forced_labour", 2, None),
    # Held by threats and by the wages: papers that are not given back, runaways brought back, wages
    # held "so nobody runs off".
    (
        r"(pas+ports?|ids?|id cards?|papers|documents?|permits?)\b.{0,60}\b(refus\w*|won'?t|will not|wont|doesn'?t|does not|never)"
        r" (to )?(give|hand|return)\w*"
        r"|(tries|try|tried|trying|want\w*) to (go home|leave|run|escape|get out|quit)\b.{0,40}\b(bring|brings|brought|drag\w*"
        r"|catch\w*|caught|fetch\w*) (them|us|him|her|me|you) back"
        r"|so (that )?(nobody|no one|noone) (\w+ )?(runs?|leaves?|quits?|escapes?|goes home)"
        r"|so (that )?(we|they|workers|people|i|you) (can'?t|cannot|won'?t|don'?t|do not|will not|wont|dont) (run|leave|quit"
        r"|escape|go home)\b(?! early| before| on time)",
        "forced_labour",
        8,
        None,
    ),
    (r"pocket money", "forced_labour", 6, None),
    (
        r"(dorm\w*|rooms?|building|workshop|factory|compound) (is |are |was |were |gets? |got )?(locked|chained|padlocked)( \w+){0,2} (from|on) (the )?outside"
        r"|(sleep|sleeping|live|living|stay|staying) in\b.{0,40}\blocked (from|on) (the )?outside",
        "forced_labour",
        8,
        None,
    ),
    # The agent or boss takes the wages; food withheld as punishment.
    (
        r"(agents?|agency|brokers?|boss|employer)s? (takes?|took|keeps?|kept|collects?) (all |most of |half of )?"
        r"(our|my|the|their) (salary|salaries|wages?|pay)|starv\w*",
        "forced_labour",
        8,
        None,
    ),
    (r"(bank|salary|atm|wage) cards?", "forced_labour", 2, None),
    # health and safety
    (
        r"(fire|emerg\w*) (exits?|doors?|stairs?|escapes?|routes?)|escape (corridors?|routes?|paths?|doors?|stair\w*|ways?|hatch\w*)",
        "health_safety",
        5,
        "critical",
    ),
    # A way out chained, bolted, nailed or tied shut, in any order of words.
    (
        r"chain\w* (\w+ ){0,4}(doors?|handles?|exits?|gates?)|(doors?|exits?|handles?) (\w+ ){0,3}chain\w*"
        r"|(bolted|locked|barred|chained|padlocked|wired|nailed) (shut |closed )?(from|on) (the )?outside"
        r"|(nail\w*|board\w*|weld\w*|planks?|bars?) (\w+ ){0,3}(across|over) (the |a )?(\w+ )?(exits?|doors?|stairs?|gates?)"
        r"|(tied|wired|roped|strapped|taped|bolted|nailed|welded|chained) (\w+ ){0,2}(shut|closed|together)",
        "health_safety",
        5,
        "critical",
    ),
    (
        r"(against|in front of|blocking|block\w*) (the )?(\w+ )?(exits?|doors?|stairs)"
        r"|(exits?|so it) (\w+ ){0,2}(won'?t|can'?t|cannot|does not|doesn'?t) open"
        r"|(only )?one (way out|exit)|no other (way out|exit)|kept (shut|closed|locked)"
        r"|only (one|a single) (staircase|stairway|stairwell|set of stairs)"
        r"|(store|stores|stored|storing|stack\w*|pile\w*|dump\w*|park\w*|put|puts|putting|left|leave|leaves|keeps?|kept) (\w+ ){0,4}(in|on) (the )?(stair\w*|corridors?|escape|exit)"
        r"|(locks?|locking) (up )?(the |all the |our |every )?(\w+ )?(doors?|exits?|stair\w*)\b"
        r"(?!.{0,12}\b(after|when|once) (everyone|everybody|all|all of us|the workers|workers|we|they) (has |have |had )?(gone|left|leave|go)\b)"
        r"|(doors?|exits?|stair\w*|gates?) (\w+ ){0,4}(closed|shut|fastened|secured) with (a |an )?(\w+ )?(bars?|chains?|locks?|padlocks?|ropes?|wires?|poles?)",
        "health_safety",
        4,
        "critical",
    ),
    (r"exits? (is |are |was |were )?(locked|blocked|chained|obstructed)", "health_safety", 5, "critical"),
    # Stairs full of stock, a way out barred, a door that "is lock" (as a non-native writer puts it).
    (
        r"(stair(s|well|case|way)s?|exits?|corridors?)\b.{0,25}\b(full of|piled with|stacked with|crammed with|obstructed)"
        r"|(way out|exits?|doors?|stairs?|gates?)\b.{0,25}\b(barred|sealed( off| up| over)?|bricked (up|over|in)|boarded (up|over)"
        r"|walled (up|off|over)|plastered over)\b(?! from)"
        r"|(doors?|exits?)( of (the )?\w+| (in|on|at) (the )?\w+( \w+)?)? (is |are |always |was |were |still |often )+(lock|lockd)\b",
        "health_safety",
        5,
        "critical",
    ),
    (
        r"lock(ed|d)|padlock\w*|blocked|chained|lokced|loked|lokd|locekd|jammed|blokced|bloked|blokd",
        "health_safety",
        3,
        "critical",
    ),
    (
        r"(weld\w*|nail\w*|chain\w*|bolt\w*|screw\w*|glued|taped|wired) (\w+ ){0,3}shut|no(body| one|one) can get out|can'?t get out|no way out"
        r"|stair(well|case|way)s? (is |are )?(full|blocked|packed)",
        "health_safety",
        4,
        "critical",
    ),
    # "my back hurts" is pain, "hurt" (and the misspelt "hurted") an injury.
    (r"injur\w*|hurt(ed)?|crushed|bleeding|broken (arm|leg|bones?|hand)", "health_safety", 4, "critical"),
    # Misspellings of the critical words, as they come: enjured, burnd, electrocted.
    (r"[ie]nj[eu]r\w*|burnd|ele\w{0,5}(ocut|cut|oct)(ed|ion|e)\b", "health_safety", 4, "critical"),
    # Injuries told with the body part first ("my finger was cut off", "his arm was broken"),
    # scalds, sprains and fractures, and a worker knocked out or struck down by a stroke or a fit at work.
    (
        r"(fingers?|thumbs?|hands?|arms?|legs?|toes?|feet|foot) (was |were |got |is )?(cut|chopped|sliced|torn|ripped) off"
        r"|(arms?|legs?|wrists?|ankles?|ribs?|fingers?|hands?|bones?|backs?|necks?|hips?) (was |were |is |are |got )?"
        r"(broken|broke|fractured|dislocated)|fractur\w*|dislocat\w*|sprain\w*|scald\w*|nose ?bleeds?"
        r"|knocked (out|unconscious)|comas?\b"
        r"|(had|has|having|suffered) (a |an )?(stroke|seizure|fit|heart attack) (at|on|in|during|while|after)",
        "health_safety",
        4,
        "critical",
    ),
    (
        r"(cut|lost|losing|crushed|broke|injured|hurt|burned) (off )?(\w+ )?(\w+ )?"
        r"(fingers?|thumbs?|hands?|arms?|legs?|wrists?|ankles?|feet|foot|toes?|ribs?|necks?|noses?|eyes?|backs?)|went blind",
        "health_safety",
        5,
        "critical",
    ),
    (
        r"burn(ed|t|s|ing)?|electr\w*cut\w*|electric shock|fainted|col+aps\w*|pass(es|ed|ing)? out|poiso?n\w*"
        r"|vomit\w*|explo\w*|alight|slic(e|ed|es|ing)|gash\w*|wound(s|ed)?(?! up)|miscarr\w*"
        r"|(needed|need|got|had|get|[0-9]+|two|three|four|five|six|seven|eight|nine|ten|twenty|several|many) stitches"
        r"|(?<!like )suffocat\w*|asphyxi\w*|(lost|losing|loses) (his|her|my|their) (sight|eyesight|vision)|blinded"
        r"|(machine|press|cutter|saw|blade|belt|roller)s? (\w+ ){0,2}(has|have|with|without) no (safety |protective )?"
        r"(guards?|covers?|shields?)"
        r"|thr(ew|ow|owing) up|on fire|caught fire|smoke (everywhere|coming|in)|fiers?|cav(e|ed|es|ing) in"
        r"|flames?|ablaze|blaze\w*|inferno|blee?d(ing|s)?|bled|blood (everywhere|on|all over)|ambulance|can'?t breathe|cannot breathe|(cant|can'?t|cannot|can not|could not|couldn'?t) (breath|brethe|breth)\b"
        r"|could not breathe|ran over|run over|(hit|struck) by (a |the )?(\w+ )?(forklift|truck|car|vehicle|bus)"
        r"|(went|go|goes|gone) through (my|his|her|a|the) (\w+ )?(fingers?|hands?)|needle (in|into|through)"
        r"|f[ae]ll(s|en)? on (a |the |an |my |our |his |her )?(\w+ )?(workers?|man|men|woman|women|girl|boy|him|her|me|us|someone|people"
        r"|colleagues?|co-?workers?|friends?|workmates?|sister|brother)\b"
        r"|(acid|bleach|chemicals?|lye|caustic|dye|solvents?|glue|paint) (\w+ ){0,3}(in|into) (my|his|her|their|a worker'?s) eyes?"
        r"|eyes? (got|gets|get|had|has) (\w+ ){0,2}(acid|bleach|chemicals?|lye|caustic|dye|solvents?|glue|paint)",
        "health_safety",
        4,
        "critical",
    ),
    (
        rf"(caught|caugth|caugt|cought|stuck|trapped|pulled|wound|wrapped|sucked|drawn) in(to)? (the |a )?(\w+ )?{_MACHINE_EN}"
        r"|fell (from|off|down|through)|f[ae]ll(s|en|ing)? through (a |the )?(\w+ )?(holes?|gaps?|openings?|floors?|roofs?|skylights?|hatch\w*)|f[ae]ll(s|en)? (into|in) (a |the )?(\w+ ){0,2}(tanks?|vats?|pits?|pools?|holes?|water|machines?|rollers?|mixers?|grinders?|baths?|troughs?|drums?|containers?|shafts?)|(trapped|stuck|pinned|caught) (under|beneath|between)|(lost|loses|losing) consciousness|(fall|falls|falling) (down|over|off|from)|(dropped|fell|collapsed) to the (floor|ground)",
        "health_safety",
        5,
        "critical",
    ),
    (r"accidents?|died|dead|death", "health_safety", 3, "critical"),
    (
        r"gas leak\w*|leak\w* gas|mix\w* (\w+ ){0,2}(bleach|acid|chemicals?)|(filled|full) (with|of) (gas|fumes|smoke)"
        r"|(small|little|mild|electric) shocks?|(gives?|gave|giving) (us|me|him|her|them) (\w+ )?shocks?"
        r"|(safety|emergency|stop) (switch\w*|sensors?|buttons?) (\w+ ){0,4}(taped|tied|disabled|bypassed|broken|removed)"
        r"|(disabled|bypassed) the (\w+ )?(sensors?|switch\w*|guards?)|(gas|chemical|ammonia|chlorine) (leak\w*|spill\w*)|short of br\w*th|breathless"
        r"|elec\w* shocks?|shocked by (the |a )?(\w+ )?(machine|wire|socket|cable|pump|iron|current|electricity|plug)|(bare|exposed|live) (live )?wires?|wires? (are |is )?(exposed|bare)"
        r"|(no|without|took away|takes? away|taking away|cut off|not allowed|denied) (\w+ ){0,2}(drinking water|water to drink|water breaks?)"
        r"|heat ?stro\w*|sun ?stroke|heat exhaustion"
        r"|(machine|safety|blade|press|belt) guards? (was |were |is |are |has been |have been )?(removed|missing|broken|taken off)"
        r"|guards? (on|of) the (\w+ )?(machine|press|saw|cutter|belt|blade)s? (was |were |is |are |has been )?(removed|missing|broken|taken off)"
        r"|no (machine |safety )?guards? on|unguarded|(removed|took off|taken off) the (safety |machine )?guards?"
        r"|(passed away|died|dead|found dead) (on|at|in|during|after) (the |his |her |a |our |their )?(line|shift|night shift|factory|workshop|machine|work|dorm\w*|warehouse|job)"
        r"|(worker|co-?worker|colleague|workmate|someone|man|woman|lady|girl|boy) (\w+ ){0,2}passed away"
        r"|not breathing|stopped breathing|unconscious|unresponsive",
        "health_safety",
        4,
        "critical",
    ),
    # More of the same families in plainer words: gas smelt, steam escaping, a worker blacked out or not
    # waking, a hand smashed, blood coughed up, a vehicle knocking someone down, drowning.
    (
        r"smel+s? (of|like) (gas|burning|smoke)|gas smell|smell\w* (of )?gas|leak\w* steam|steam leak\w*"
        r"|(will|going to|gonna|could|might|about to) (blow up|explode)|blacked out|blacks out|black out at"
        r"|(got|get|gets|had) (a |an )?(\w+ )?shocks? (from|off|by)|(get|gets|got|getting) (electric )?shock(ed)?\b(?! (when|that|to|at|about|by the news))"
        r"|(cannot|can'?t|could not|couldn'?t) wake (him|her|them|up)|won'?t wake up|not wak(e|ing) up|(still )?not awake"
        r"|(hands?|fingers?|arms?|legs?|feet|foot|toes?|heads?) (\w+ ){0,2}(smashed|mangled|squashed|severed)"
        r"|(smashed|mangled|squashed|severed) (\w+ ){0,2}(hands?|fingers?|arms?|legs?|feet|foot|toes?)"
        r"|(cough|spit|vomit|pee|piss|urinat)\w* (up )?blood|blood in (my|his|her|their|our) (urine|pee|stool)|spit\w* (up )?blood|vomit\w* blood|(tore|torn|ripped) (off|out)|scalp\w*"
        r"|(forklifts?|trucks?|cars?|vans?|vehicles?|drivers?) (\w+ ){0,3}(knock\w*|ran|hit|struck|reversed into)"
        r"|drown\w*|heart attack|chest pains?|heart pains?|(make|makes|made|making) (\w+ ){0,3}faint\b|faint(s|ing)\b"
        r"|(hit|hits|banged|bumped|struck) (his|her|my|their) head (on|against)"
        # an accident told with the body part first, or a worker hit or killed by a thing
        r"|(hands?|fingers?|arms?|legs?|feet|foot|toes?|eyes?|heads?|faces?|skin) (was |were |got |is |has been )"
        r"(cut|burn\w*|injured|damaged|crushed|hurt|scalded|sliced)"
        r"|(hit|struck|killed) by (a |an |the )(falling |flying |swinging )?(\w+ )?(bar|pipe|beam|box|object|crate|pallet"
        r"|brick|crane|load|part|machine|forklift|truck|boiler|explosion)s?\b|killed (in|at|when) (a |an |the )"
        r"|(people|workers|we|they|girls|women|men|someone|many) (\w+ )?faint\b|pois[eo]?n\w*",
        "health_safety",
        4,
        "critical",
    ),
    # Harm told by what happened rather than named: a hand went into the machine, a press came down on
    # fingers, a skull cracked, the tip of a finger lost, someone pinned by a vehicle, a scaffold that
    # gave way, hot oil spilled on a leg; wiring sparking or smoking, a machine gone up in smoke.
    (
        rf"{_BODY_EN} (\w+ ){{0,3}}(into|under|between|inside) (the |a |an )?(\w+ )?{_MACHINE_EN}"
        rf"|{_BODY_EN} (go|goes|went|gone|got|get|gets|was|were) (\w+ ){{0,2}}in (the |a |an )?(\w+ )?{_MACHINE_EN}"
        r"|cut (very |so |really )?(deep|deeply|badly|to the bone)|deep (cuts?|wounds?)"
        r"|(came|come|comes|slammed|crashed|dropped|drops|fell|falls|landed|lands) (\w+ ){0,6}(on|onto) (a |the |two |three |some )?"
        r"(workers?|man|men|woman|women|people|someone|him|her|me|us|them)\b"
        r"|(cylinders?|tanks?|boilers?|bottles?|pipes?|machines?|batter(y|ies)|compressors?|dryers?|ovens?|tyres?|tires?) (\w+ ){0,2}"
        r"(blew up|blown up|burst|exploded)|buried (under|in|alive)"
        r"|(came|come|comes|slammed|crashed|dropped|drops|fell|falls|landed|lands) (\w+ ){0,6}(on|onto) (his|her|my|their|our"
        rf"|someone'?s|a worker'?s|the worker'?s) (\w+ )?(backs?|body|{_BODY_EN})\b"
        r"|(cracked|fractured|split|broke|broken|smashed|bashed) (open )?(his|her|my|their|a|the) (\w+ )?(skull|head|ribs?|jaw|teeth"
        r"|spine|collarbone|pelvis)"
        rf"|(lost|lose|losing|loses|cut off|sliced off) (the )?(tips?|tops?|ends?|part|half|most|pieces?) of (his|her|my|their|a|the)"
        rf" (\w+ )?{_BODY_EN}"
        r"|pinn(ed|ing) (him|her|me|someone|a worker|them|us) (against|under|to)"
        r"|(backed|reversed|rolled|crashed|drove) (into|over) (a |the )?(worker|man|woman|girl|boy|him|her|me|someone|people|us)\b"
        r"|(scaffold\w*|ladders?|shel(f|ves)|racks?|roof|ceiling|floor|platform|stacks?|pallets?|walls?|stairs?|beams?|crane)\b"
        r".{0,15}\b(gave way|give way|gives way|giving way|toppled|tipped over|came down|came crashing)"
        r"|(hot|boiling|scalding|molten|burning) (\w+ )?(oil|water|wax|glue|metal|steam|liquid|dye|tar|grease)\b.{0,20}"
        r"\b(spill\w*|splash\w*|pour\w*|spray\w*|squirt\w*)"
        r"|(spill\w*|splash\w*|pour\w*|spray\w*|tipped) (\w+ ){0,2}(hot|boiling|scalding|molten) (\w+ )?(oil|water|wax|glue|metal"
        r"|steam|liquid|dye|tar|grease)"
        r"|(cords?|cables?|wires?|wiring|sockets?|plugs?|machines?|motors?|dryers?|ovens?|panels?|heaters?|irons?|boilers?"
        r"|chargers?) (\w+ ){0,3}(sparking|smoking|smouldering|smoldering|melting)\b|(went|go|goes|going|gone) up in (smoke|flames)",
        "health_safety",
        4,
        "critical",
    ),
    # A shutter locked over workers, a door nobody can open; a limb caught, a bone out, skin swollen all over.
    (
        r"(shutters?|roller doors?|rolling doors?)\b.{0,30}\b(lock\w*|padlock\w*|chain\w*)"
        r"|lock (it|them) (while|when) (we|they|workers|people|everyone) (are |is )?(still )?(work\w*|inside|in there|asleep|sleep\w*)"
        r"|(exits?|doors?|gates?)\b.{0,50}\b((nobody|no one|noone) (can|could)|(we|you|they) (can'?t|cannot|can not|could not|couldn'?t))"
        r" (open|use|pass|reach) (it|them)\b",
        "health_safety",
        5,
        "critical",
    ),
    (
        r"bones? (\w+ ){0,2}(sticking|poking|came|coming|stuck) out"
        rf"|{_MACHINE_EN} (\w+ ){{0,2}}(caught|grabbed|pulled|took|ate|chewed|crushed|trapped) (his|her|my|their|a worker'?s|someone'?s)"
        rf" (\w+ )?{_BODY_EN}"
        rf"|{_BODY_EN} (was|were|got|is|are) (torn|ripped|crushed|caught|mangled|pierced|slashed) (by|in|on)\b"
        r"|(rash\w*|hives|blisters?|swelling|swollen)\b.{0,20}\b(all over|whole body|everywhere)"
        r"|(all over|whole body) (\w+ ){0,2}(rash\w*|swell\w*|swollen|blisters?)",
        "health_safety",
        5,
        "critical",
    ),
    # No escape from a fire: the way out is the complaint, whatever else is locked.
    (
        r"(if|when) (there is |there'?s )?(a )?fire\b.{0,30}\b(cannot|can'?t|could not|couldn'?t|no way to) (run|escape|get out)",
        "health_safety",
        8,
        "critical",
    ),
    # An accident told by the blow it gave: a fall that hit a head, a piece that hit an eye (outweighs
    # "hit" read as a blow given by someone).
    (
        r"(slipp?\w*|tripp?\w*|fell|falls?|falling|lost (his|her|my|their) (balance|footing))\b.{0,30}\b(hit|banged|bumped|struck|knocked|cracked)"
        r"|((piece|bit|chip|shard)s? of (\w+ )?(metal|glass|wood|iron|steel|plastic|stone|brick)|(metal|glass|iron|steel) (pieces?|bits?|parts?)"
        r"|shards?|splinters?|fragments?|needles?|bolts?|screws?|sparks?|nails?) (\w+ ){0,3}"
        r"(hit|struck|flew into|went into|got into|cut) (my|his|her|their|a worker'?s|someone'?s|the worker'?s) (eyes?|face|head|neck)",
        "health_safety",
        8,
        "critical",
    ),
    # A worker down: keeled over, ended up in the emergency room, unable to stand, "went down" on the line.
    (
        r"keel\w* over|(ended|end|ends|ending) up in (the )?(er|a&e|hospital|icu|emergency( room)?|clinic)"
        r"|(rushed|taken|carried|sent|brought|driven) (\w+ ){0,2}to (the )?(er|a&e|icu|emergency( room)?|hospital|clinic)\b"
        r"|(couldn'?t|could not|can'?t|cannot|unable to|not able to) (stand up|stand straight|get up(?! early| at| in time| for)"
        r"|get back up|keep standing|walk straight|move (his|her|my|their) (legs?|arms?|hands?|body))"
        r"|(guy|man|woman|lady|girl|boy|he|she|someone|somebody|people|workers?|colleagues?|co-?workers?|girls|women|men|ladies)"
        r"( \w+){0,4}(?<!wages)(?<!pay)(?<!salary)(?<!bonus)(?<!orders)(?<!hours) (go|goes|going|went|gone) down\b"
        r"(?! (to|the|stairs|and|for|with|in|by|a|on (the |our |my )?(pay|wages?|salary)))",
        "health_safety",
        4,
        "critical",
    ),
    # Self-harm: a worker at risk of taking their own life (outweighs "kill" read as violence, and the
    # unpaid wages that drove it).
    (
        r"suicid\w*|suicde|tired of (living|life|being alive)|(slit|slash\w*|cut) (her|his|my|their) wrists?|sui?[cs]i?d\w*|kill (my|her|him|them|your) ?sel(f|ves)|kill (herself|himself|myself|themselves|yourself)|end(ing)? (my|her|his|their) (own )?life"
        r"|kill (her|him|my|them|your)(self|selves|slef|sefl|selfe)|end (it all|everything)|ending it all"
        r"|no point (in )?(living|going on|being alive)|(want|wants|wanna) to (disappear|die)\b|(disappear|vanish) (for good|forever)"
        r"|better off dead|rather (die|be dead)|(wish|wishes) (i|she|he) (was|were) dead|can'?t go on|(thinking|think\w*) (about|of) (jumping|ending|dying|killing)"
        r"|jump\w* (off|from|out of) (the |a |his |her |our )?(\w+ ){0,2}(roof|building|bridge|window|balcony|floor)"
        r"|threw (himself|herself|myself|themselves) (from|off|out|in front)|hang\w* (himself|herself|myself|themselves)|overdos\w*"
        r"|(swallowed|took|taken) (\w+ ){0,4}(pills|tablets|poison|pesticide|bleach)"
        r"|(bought|have|got|prepared|tied|ready) (\w+ ){0,2}ropes?\b.{0,30}\b(ready|end|go|goodbye|neck|tonight)"
        r"|tak(e|es|ing) (my|her|his|their) (own )?life|(drank|drink\w*|swallow\w*) (\w+ ){0,2}(pesticide|poison|bleach|weed ?killer|chemicals?|cleaners?|detergent|solvents?|acid)"
        r"|od'?d|(want|wants|wanted|wanna) (it all|everything|this|all this) to (end|stop)|(going|gonna|want\w*) to end it"
        r"|end it (tonight|all|now|soon|today)|sleep forever|(life|living) (is )?(not|isn'?t|no longer) worth|not worth living"
        r"|nothing (left )?to live for|no reason to live"
        r"|(i|she|he|we|they) (\w+ ){0,2}(will|'ll|am going to|is going to|gonna|want to|wanna|wants to|plan to) jump\b"
        r"(?! (ship|the queue|the line|in|into|at|to|on|over|around|up|for))"
        r"|(i|she|he) (\w+ ){0,2}(will|'ll|should|gonna|want to|wanna|might as well|better) (just )?die\b(?! (of|from|if|in|for|laughing))"
        r"|goodbye (note|letter)|suicide note|farewell (note|letter)|(don'?t|dont|do not) want to live|take (my|her|his|their) own life|self[- ]?harm\w*|cut (herself|himself|myself)"
        # on a ledge, hoping not to wake up, cutting one's own arms
        r"|(stand\w*|stood|sit\w*|sat|climb\w*) (on|onto|over|up on) (the )?(\w+ )?(ledge|railing|parapet)|edge of the roof"
        r"|(stand\w*|stood|sit\w*|sat|climb\w*) (on|onto|up on|up to) (the )?(\w+ )?(roof|rooftop)\b.{0,20}\b(crying|cry|cries|sobbing|alone"
        r"|shouting|screaming|threaten\w*|saying|won'?t come down)"
        r"|(hope|hopes|hoping|wish|wishes|pray|want) (that )?(i|she|he|they) (\w+ ){0,2}(don'?t|do not|never|won'?t|wouldn'?t|would not)"
        r" wake up|(sleep|go to sleep) and (never|not) wake up"
        r"|(cut|cuts|cutting|slash\w*|scratch\w*|carv\w*) (her|his|my|their) (own )?(arms?|wrists?|thighs?|skin)"
        r"|(take|takes|taking|swallow|swallows|swallowing) (all|a whole|the whole|a handful|a bottle|a box|every|handfuls)\b.{0,20}"
        r"\b(pills|tablets|medicine|painkillers)",
        "health_safety",
        10,
        "critical",
    ),
    # A pregnant worker put on work that endangers her (night shifts are hours, not this).
    (
        r"(pregnan\w*|pregant|expectant|mothers?-to-be|([0-9]+|one|two|three|four|five|six|seven|eight|nine) months along|(women|woman|girls?|ladies|wife|she|mothers?) (who (is|are) |who'?s |that (is|are) |is |are )?expecting"
        r"|(co-?workers?|colleagues?|workers?) who (is|are) expecting)"
        r"\b.{0,50}\b(solvents?|chemicals?|paint\w*|spray\w*|heavy|lift\w*|fumes|glue|radiation|hot|heat"
        r"|dye\w*|vats?|climb\w*|ladders?|lead|benzene|haul\w*|carry\w*|[0-9]+ ?(kg|kilos?)|sacks?|bleach|acid|boilers?|furnaces?|ovens?|kilns?|boxes)"
        r"|(solvents?|chemicals?|fumes|glue|radiation|heavy|carry\w*|lift\w*|sacks?|[0-9]+ ?kg)\b.{0,40}\bpregnan\w*",
        "health_safety",
        8,
        "critical",
    ),
    # Exits locked in other words: a chain, the key only with the guard.
    (
        r"with (a |the )?chains?|chaned|chainned|(guard|guards|security) (keeps?|has|have|holds?) the keys? (to|of|for) (the )?(exits?|doors?|gates?|stairs)"
        r"|only (the )?(security|guards?|boss|manager)\w* (can|could) open",
        "health_safety",
        5,
        "critical",
    ),
    (r"(3[5-9]|4[0-9]|5[0-9]) ?degrees?", "health_safety", 4, None),
    (
        r"fire(?! (me|us|him|her|them|workers?|people|anyone|alarms?|extinguishers?|drills?))",
        "health_safety",
        3,
        "critical",
    ),
    (
        r"(protective|safety) (gear|equipment|masks?|gloves)|ventilation|extinguishers?|fire alarms?|exit signs?"
        r"|ears? (\w+ )?(ring|ringing|buzz\w*)"
        r"|exit (route )?maps?|evacuation (maps?|plans?|routes?)"
        r"|emergency lights?|rash(es)?",
        "health_safety",
        4,
        None,
    ),
    (
        r"masks?|gloves|goggles|ear ?plugs|ear protection|forklifts?|chemicals?|dust|fumes|noise|glue|smell|smells|headaches?|heat|too hot|fans?|cough\w*|dizz(y|iness)",
        "health_safety",
        2,
        None,
    ),
    (
        r"safety|unsafe|dangerous|sparks?|lifts?|elevators?|hurts|pains?|aches?|aching",
        "health_safety",
        2,
        None,
    ),
    (
        r"(crack\w*|sagg\w*|shak\w*).{0,40}\b(floors?|walls?|roofs?|ceilings?|building|storey)"
        r"|(floors?|walls?|roofs?|ceilings?|building|storey)\b.{0,40}(crack\w*|sagg\w*)",
        "health_safety",
        4,
        "critical",
    ),
    (
        r"backs? (pains?|aches?)|backache|(my|our) backs?|slipp(ed|ing|ery)|wet floors?|lift\w* (\w+ ){0,2}(boxes|sacks|bags|loads)",
        "health_safety",
        3,
        None,
    ),
    (r"hospital", "health_safety", 1, None),
    # Harm already done in weak words (a relative's lung disease is not: it must come from the work).
    (
        r"(made|making|makes) (me|him|her|us|them) deaf|(went|gone|going|became) deaf|deaf in (one|my|his|her|both)"
        r"|(lost|losing|lose) (\w+ )?hearing|hearing (loss|damage)|lung (problems?|diseases?|damage)\b.{0,20}\b(from|because|after)"
        r"|(my|his|her|their|our) lungs? (are |is |were |was |got |have |has )?(\w+ )?(sick|damaged|ruined|destroyed|diseased|black|scarred)"
        r"|(workers|we|i|people|colleagues?|coworkers?) (\w+ ){0,2}(have|got|get|suffer\w*) lung"
        r"|skin (\w+ )?(peels?|peeling|came|comes) off|corrod\w*|corrosive burns?"
        r"|skin (is |keeps |was |started |starts )?(peeling|blistering|cracking|bleeding)",
        "health_safety",
        5,
        "critical",
    ),
    # Ways out sealed by hand, caught by a machine, parts torn off, splashes in the eyes, leaking drums.
    (
        r"(seal\w*|block\w*|chain\w*|weld\w*|nail\w*|bolt\w*|barr\w*) (up )?(the |a )?(back |side |front |rear |fire |emergency |only )?"
        r"(doors?|exits?|gates?|stair\w*)\b"
        r"|(caught|pulled|grabbed|trapped|pinched) by (the |a )(\w+ )?(machines?|rollers?|belts?|press(es)?|gears?|conveyors?)"
        r"|(tore|torn|ripped|cut|chopped) (his|her|my|their|a|the) (\w+ )?(hands?|fingers?|arms?|legs?|thumbs?|toes?|feet|foot) off"
        r"|(splash\w*|spray\w*|squirt\w*) ([^ ]+ ){0,4}(eyes?|face)\b"
        rf"|(acid|alkali|caustic|lye|bleach|chemicals?|solvents?|dye) (\w+ ){{0,2}}(splash\w*|spray\w*|squirt\w*|spill\w*) (\w+ ){{0,2}}"
        rf"(on|onto|into|up|over|across) (my|his|her|their|a worker'?s|the worker'?s) (\w+ )?(skin|body|chest|neck|{_BODY_EN})"
        r"|skin (\w+ )?(turned|went|goes|turns) (white|black|grey|gray)"
        # a part taken off by a blade, a worker gone limp and carried out
        rf"|(took|takes|take|taken|sliced|chopped|ripped|tore|sheared|clipped) off (\w+ ){{0,2}}(of )?(his|her|my|their|a|the|someone'?s) (\w+ )?{_BODY_EN}"
        r"|amputat\w*|split open|(flew|went|got|shot) (\w+ ){0,2}(into|in) (his|her|my|their|a worker'?s) eyes?"
        rf"|(pierc\w*|punctur\w*|impal\w*) (\w+ ){{0,2}}(his|her|my|their|a worker'?s) (\w+ )?(eyes?|skin|body|chest|{_BODY_EN})"
        r"|(got|had|needed|get|gets) (\w+ ){0,3}(stitched|stitched up|sewn up)"
        r"|(leak\w*|drip\w*|seep\w*|pour\w*|flood\w*) (\w+ ){0,3}(onto|on|into|over) (the )?(\w+ )?(electrical|electric|wires?|wiring"
        r"|sockets?|panels?|fuse ?box)|(wires?|wiring|sockets?|cables?) (\w+ ){0,3}(under|in|touch\w*|near|on) (the )?water\b"
        r"|concussion|carbon monoxide|(roofs?|ceilings?|floors?|walls?) (fell|caved|came) in"
        r"|(lifts?|elevators?) (cable )?(snapped|fell|dropped|crashed|plunged|broke)\b.{0,20}\b(with|while|people|workers|inside)"
        r"|(went|go|goes|gone|going) limp|carried (him|her|them) (out|away|off)"
        # a spark caught in the cloth
        r"|sparks? (\w+ ){0,3}(landed|fell|flew|jumped|set|lit)|(whole|entire) (\w+ )?(pile|room|place|roll|stack|warehouse|floor|building)"
        r" (caught|went up|burned|burnt)\b|"
        r"(chemicals?|acid|solvents?|ammonia|chlorine|drums?|tanks?|pipes?)"
        r" (\w+ ){0,2}leak\w*",
        "health_safety",
        4,
        "critical",
    ),
    (
        r"exposed to (\w+ )?(toxic|poisonous) (gas|fumes|chemicals?|smoke)|(toxic|poisonous) (gas|fumes|smoke)"
        r"|(doors?|exits?|gates?)\b.{0,25}\b(welded|nailed|bolted|chained|padlocked)\b",
        "health_safety",
        4,
        "critical",
    ),
    (
        r"like suffocating|stuffy|airless|eyesight|(my|our) sight|eye ?strain|(air|ventilation) is (so |very |too )?(bad|poor)",
        "health_safety",
        2,
        None,
    ),
    # Falling ill from what the work exposes people to (poisoning told as sickness).
    (
        r"(got|get|gets|getting|fell|falls?|became|become|becoming) (very |seriously |really )?(sick|ill)\b.{0,25}"
        r"\b(from|after|because|due to)",
        "health_safety",
        4,
        "critical",
    ),
    # Occupational disease and slow poisoning: dust lungs, benzene, lead, solvents that damage nerves.
    (
        r"silicosis|pneumoconiosis|black lung|l[eu]{1,2}k(a)?emia|aplastic an(a)?emia|occupational (disease|illness)\w*"
        r"|(lead|cadmium|mercury|benzene|benzine|hexane) (poison\w*|levels?)|high lead|(nerve|kidney|liver|lung|brain) damage"
        r"|(destroyed|ruined|damaged) (my|his|her|their|our) lungs|cancer (from|because of) (the )?\w+"
        r"|(lost|losing) (their|his|her|my|our) hearing",
        "health_safety",
        5,
        "critical",
    ),
    (
        r"(occupational|medical) (health )?(checks?|exam\w*)|health (checks?|exam\w*)",
        "health_safety",
        3,
        None,
    ),
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
        r"rap(e|ed|es|ing)|(was|were|got|been|being) rapp?ed\b|sexual\w* (ass?a\w*|abus\w*|attack\w*)|molest\w*"
        r"|(come|go) to (his|her) (hotel )?(room|bed|flat|apartment|place) (at night|tonight|after work|alone|or)"
        r"|forc\w* (me|her|us|them) (into bed|to sleep with|to have sex)|drugg(ed|ing)|spiked (my|her|our) drinks?"
        r"|(gets?|got|getting|makes?|made|making) (her|them|girls|women|us|me|the girls|female workers) drunk"
        r"|(put|slipped) (something|drugs?|pills?|a pill) (in|into) (my|her|our) (drinks?|water|tea|food)"
        r"|(spend|spent|stay|stayed) the night with (him|her|me|the \w+)|(go|come|went) to (a )?hotel with (him|her|me)"
        r"|(hands?|touch\w*|grop\w*) (\w+ ){0,2}(under|inside|up) (my|her|our) (clothes|shirt|skirt|dress|bra|trousers|pants)"
        r"|(pull\w*|dragg?\w*|push\w*|took|take|lured?) (me|her) (\w+ ){0,2}(into|in|to) (the |a |his |an )?(toilet|bathroom|storeroom|store ?room"
        r"|office|car|room|warehouse|van|stairwell)\b.{0,40}\b(touch\w*|grop\w*|kiss\w*|undress\w*|feel\w*|rap\w*)"
        r"|(got|get|gets|climbed|climbs|crawled|crawls|came|comes) (in|into|onto) (my|her|our) beds?\b"
        r"|(could not|couldn'?t|can'?t|cannot|unable to) (push|fight|get) (him|them) (off|away)"
        r"|lock\w* (the )?(\w+ )?doors?\b.{0,30}\b(touch\w*|grop\w*|kiss\w*|undress\w*|feel\w*|grabb?\w*|rap\w*)"
        r"|held (me|her) (down|so)|pinned (me|her) (down|against)|(could not|couldn'?t|can'?t|cannot) get away|sleep with (him|her|me|them|the \w+)|have sex|sexual favou?rs?",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        r"break (my|your|his|her|our|their) (legs?|arms?|bones?|neck|fingers?)|kil (me|you|him|her|us|them)"
        r"|(will|would|gonna|going to) (\w+ ){0,6}(kil+|hurt|beat|stab|break) (me|you|him|her|us|them|my|your|his|our|their)\b"
        r"|(will|would|gonna|going to|'ll) (\w+ ){0,6}(cut|slash|shoot|finish|bury|strangle) (me|you|him|her|us|them)\b"
        r"(?! (off|out|from|loose|in|short|some))|burn (down )?(my|your|his|her|our|their) (house|home|room|car|family)"
        r"|(hands?|arms?|fingers?) (\w+ )?(around|round|on) (my|her|his|their|our) (throat|neck)"
        r"|(will|would|gonna|going to|'ll) (\w+ ){0,3}(cut|slash|slit|smash|burn) (my|your|his|her|our|their) "
        r"(face|throat|neck|hands?|fingers?|legs?)|(put|send) (me|you|him|her|us|them) (in|into|to) (the )?hospital"
        r"|(have|get) (me|you|him|her|us|them) (killed|beaten|hurt)"
        r"|(won'?t|will not|not|never) (\w+ ){0,3}(leave|get out|go home|come out|make it out|walk out) (of )?(\w+ ){0,2}alive"
        r"|(will|'ll|gonna|going to) (be|end up|wind up) dead|(see|want) (you|me|him|her|us|them) dead",
        "harassment_abuse",
        5,
        "critical",
    ),
    (r"ask(s|ed|ing)? me (out|on a date)|keeps? asking me out", "harassment_abuse", 4, None),
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
    (
        r"stupid|idiots?|pressur(e|es|ed|ing) (us|me|them|workers|the workers|everyone)|punish\w* (us|me|them|workers)",
        "harassment_abuse",
        2,
        None,
    ),
    (
        r"hit the roof|blew up at|flew into a rage|lost (his|her) temper",
        "harassment_abuse",
        3,
        None,
    ),  # anger, no blow
    (
        r"hit(?! by (a|an|the) )(?! with (fines?|a fine|penalt\w*))(?! the roof)|hits|hitting|beat|beats|beaten|beating|slap\w*|punch\w*"
        r"|kick(s|ed|ing)?|kik(ed|s|ing)"
        r"|struck (me|us|him|her|them|a worker|workers)\b|by (the|my|his|her) hair|dragg\w* (me|us|him|her|them) (across|along|by|down)",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        r"violen\w*|kill\w*(?! (by|in) (a|an|the) )|chok(e|ed|ing)|strangl\w*|grabbed|pushed|shoved|threw \w+ (\w+ )?(at|on)"
        r"|(?<!heart )attack\w*|forced himself on|assault\w*|smack\w*|whack\w*|hitted|hited|beated|beat (me|us|him|her|them) up"
        r"|twist\w* (my|his|her|our|their) (arms?|wrists?|ears?)|pulled (my|his|her|our|their) hair|stab\w*|knife|knives"
        r"|punsh\w*|(slamm\w*|smash\w*) (my|his|her|our|their) (head|face)|(head|face) against|taser\w*|stun gun|hitt(ed|ing)?",
        "harassment_abuse",
        5,
        "critical",
    ),
    (
        r"(burn\w*|stubb?ed) (\w+ ){0,3}(with|using) (a |his |her |the )?(cigarettes?|lighters?|hot iron)"
        r"|cigarettes? (out )?(on|into) (my|his|her|our|their)",
        "harassment_abuse",
        10,  # outweighs the burn injury it leaves: the burn was given
        "critical",
    ),
    (r"threat\w*|rude|disrespect\w*", "harassment_abuse", 2, None),
    # Violence in other verbs: roughed up, things hurled at people.
    (
        r"rough\w* (\w+ )?up|whipp(ed|ing)|whips (us|me|them|workers)|(tied|tie|ties|tying|handcuff\w*) (him|her|me|us|them|a worker)"
        r" (up|to)|(slamm\w*|shov\w*|push\w*|threw|thrown|smash\w*|bang\w*) (me|him|her|us|them|a worker) (into|against|onto)"
        r" (the |a )?(wall|floor|ground|table|machine|door|desk|shelf|shelves)|(threw|throws|throw|throwing|hurl\w*|flung|fling\w*|chuck\w*|toss\w*|lobb\w*) (\w+ ){1,4}(at|on)"
        r" (me|us|him|her|them|a worker|workers|my|his|her|our|their|the workers?)\b",
        "harassment_abuse",
        5,
        "critical",
    ),
    # Sexual assault told without naming it: cornered and forced, a room visited "or else", clothes
    # pulled off.
    (
        r"corner\w* (me|her|him|us|them)\b.{0,40}\b(forc\w*|grab\w*|touch\w*|kiss\w*|assault\w*|undress\w*|pull\w*)"
        r"|forced (me|her|himself)( on (me|her))?(?= *($|[,.;!?]))|forc\w* (me|her|us|them) to (kiss|touch|undress|strip)"
        r"|(take|takes|took|taking|bring\w*|brought|drag\w*) (her|them|one|the girls|girls|women|a girl|me|us) (\w+ ){0,2}to (a |the |his )?hotels?"
        r"|(if|unless|or) (i|she|you|we) (\w+ ){0,2}(came|come|go|went|visit\w*) to (his|her|the boss'?s?|the manager'?s?) (hotel )?"
        r"(room|bed|flat|apartment|place|house)"
        r"|(take|took|taking|takes|tear|tore|torn|tearing|rip|ripped|ripping|pull|pulled|pulling|yank\w*) (off )?(my|her|our|their)"
        r" (clothes|shirt|skirt|dress|bra|trousers|pants|underwear|blouse)",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        r"physical(ly)? (abus\w*|assault\w*|violence|punish\w*)|corporal punishment|(make|made|makes) (us|me|them) kneel"
        r"|kneel(ing)? (on|for)",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        r"(money|pay\w*|jobs?|promotion|contract) for sex|demand\w* sex|sex (for|in exchange for) (a |the )?\w+",
        "harassment_abuse",
        6,
        "critical",
    ),
    (
        r"make (me|you|him|her|us|them) disappear|(said|says|told|threaten\w*)\b.{0,20}\b(i|you|we|she|he) (will|'ll|would|gonna) (disappear|vanish)\b(?! from)|gangsters?|thugs?|triads?|mafia"
        r"|(kiss\w*|touch\w*|grop\w*) (me|her) (by force|forcibly|against (my|her) will)|forcibly (kiss\w*|touch\w*)"
        r"|(she|he|they|friend|colleague|coworker|co-worker|worker|sister|brother|roommate)( \w+){0,2} (has been|have been|is|are|went|gone)"
        r" missing",
        "harassment_abuse",
        5,
        "critical",
    ),
    # A blade held to someone, dogs set on workers.
    (
        r"threat\w* (me|us|him|her|them|workers?) with (a |an |his |her |the )?\w+"
        r"|(held|holds?|holding|put|pressed|pointed) (a |his |her |the )?(pair of )?(knife|knives|scissors|blade|gun|cutter)s? "
        r"(to|at|against) (my|his|her|our|their|me|us|him|them)\b|(set|sets|setting|sent|send) (the |their |his )?dogs? on"
        r"|dogs? (bit|bite|bitten|attack\w*) (me|us|him|her|a worker|workers)"
        r"|dogs?\b.{0,25}\b(bit|bitten|mauled) (me|us|him|her|a worker|workers|someone)"
        r"|(used|uses|using|with) (an? |the |their |his |her )?(electric |electrical |stun )?(batons?|prods?) (on|against|to)",
        "harassment_abuse",
        6,
        "critical",
    ),
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
        r"(until|till|til) (midnight|[0-9]+|late|the bell)|(from )?[0-9]+ ?am (to|until|till) [0-9]+ ?pm",
        "working_hours",
        3,
        None,
    ),
    (r"(no|any|without) (holidays?|leave|vacation)", "working_hours", 3, None),
    (r"hours|midnight|sundays?|saturdays?|public holidays?|peak season|too long", "working_hours", 2, None),
    (r"night shifts?|shifts?|weekends?", "working_hours", 1, None),
    (
        r"maternity leave|check-?ups?|(skip|avoid|excused from) (the )?(night shifts?|overtime)"
        r"|(give|gave|giving|grant\w*|approve\w*) (me|us|him|her|them) (\w+ ){0,2}leave\b|(funeral|compassionate|bereavement|sick|annual|personal) leave"
        r"|(get|take|need|ask for|want|have) (a |an |one |two |three |[0-9]+ )?days? off",
        "working_hours",
        4,
        None,
    ),
    (r"exhausted|exhausting|worn out|wearing (me|us) out", "working_hours", 2, None),
    (r"let (\w+ )?out early", "working_hours", 3, None),
    # wages
    (r"overtime (pay|premium|rate|bonus)", "wages", 6, None),
    # A deposit for work clothes or a key held back is money owed, not a worker held.
    (
        r"(uniforms?|work clothes|clothes|keys?|cards?|lockers?|dorm\w*|beds?|tools?|helmets?|shoes) deposits?"
        r"|deposits? (for|on) (the |a |our |my |their )?(uniforms?|work clothes|clothes|keys?|cards?|lockers?|dorm\w*|beds?|tools?|helmets?|shoes)",
        "wages",
        6,
        None,
    ),
    (r"minimum wage|legal minimum", "wages", 5, None),
    (
        r"unpaid|not (been )?paid|haven'?t been paid|have not been paid|no pay|not rec\w*ved|havent rec\w*ved",
        "wages",
        5,
        None,
    ),
    (r"wad?ges?|sal+[ae]r(y|ies)|payslips?|social insurance|pension", "wages", 4, None),
    (
        r"deduct\w*|docked|dock (our|my|his|her|their|the|workers'?) (pay|wages?|salary|bonus)|take money from|fined|fines|(wages|pay) (is |are )?late|normal rate",
        "wages",
        4,
        None,
    ),
    (r"piece rate|[0-9]+ ?%", "wages", 3, None),
    (r"(cut|cuts|reduce\w*|take) (our|my|the|his|her) (bonus|pay|wages?|salary)", "wages", 3, None),
    (r"pay|paid|bonus(es)?", "wages", 2, None),
    # retaliation: services.router.retaliation decides it before any score (see the Chinese entries).
    (
        r"\bsw(u|a)ng (a |an |the |his |her |their )?([\w-]+ ){0,2}at (me|him|her|us|them|his|her|my|our|their)\b"
        r"|\b(picked up|grabbed|took) (a |an |the )?([\w-]+ ){0,2}and (hit|beat|smashed|swung|threw|hurled|brought it down)"
        r"|brought it down on (me|him|her|us|them|his|her|my|our|their)\b",
        "harassment_abuse",
        8,
        "critical",
    ),
    (r"threaten(ed|s)? to fire", "retaliation", 3, None),
    (r"fired|dismissed|sacked", "retaliation", 2, None),
    # Told indirectly: a door that opens only from outside, a doorway stacked full so that one climbs over
    # the machines, a wound that needed stitches, sight blurred, a worker raving in the heat, a threat of
    # acid or against the children, a roof's edge, belongings given away, pills saved up, a pregnancy
    # counted in months "along", children of ten to thirteen told in words, the fence never left.
    (
        r"opens? (only )?from (the )?outside|climb\w* over (the )?(machines?|boxes|tables|stock)"
        r"|doorways? (is |are |was )?(stacked|piled|blocked|full)"
        r"|(needed|got|had|took|with) (\w+ ){0,2}stitches|[0-9]+ stitches|opened up (his|her|my|their) (\w+ )?(arm|forearm|hand|leg|face|head)"
        r"|blurr?(ed|y) vision (and \w+ )?(after|from|since)|talking nonsense|then collapsed"
        r"|edge of the (\w+ ){0,2}roof|gave away (all )?(her|his|my|their) (things|stuff|belongings)"
        r"|(saving up|saved up|stockpil\w*|collecting) (my |her |his )?(sleeping )?pills"
        r"|(months|weeks) along|(mezzanines?|lofts?|balcon(y|ies))\b.{0,40}\b(gave way|collapsed|caved in|came down)",
        "health_safety",
        7,
        "critical",
    ),
    (
        r"(throw|pour|splash|threw|poured)\w* acid|knows? (where|which school) (my|our|his|her) (kids|children|family|son|daughter)"
        r"|(kids|children|family|son|daughter|wife) (will|would) get hurt",
        "harassment_abuse",
        7,
        "critical",
    ),
    (
        r"(?<!my )(?<!our )(?<!his )(?<!her )(ten|eleven|twelve|thirteen)[- ]years?[- ]olds?",
        "child_labour",
        6,
        None,
    ),
    (
        r"(haven'?t|have not|never) been (outside|out of|beyond) the (fence|compound|gates?|factory|walls?)"
        r"|guards? (walk|escort|march)\w* us|(before|until) (\w+ )?pay\w* back the (advance|loan)",
        "forced_labour",
        6,
        None,
    ),
    # First aid supplies, a scrape, a break, a drill or a family visit: what an ordinary message is about.
    (r"first[- ]aid (kits?|box(es)?)|plasters?|band-?aids?|scraped|sharp edges?", "health_safety", 3, None),
    (r"(short|longer|more|a) breaks?|sleepy|still come in", "working_hours", 2, None),
    (r"family members?|relatives? (visit|come)", "other", 3, None),
    # other: living conditions
    (r"canteen|food|meals?|dorm\w*|kitchen|rice|overcook\w*|cooks?|cooking", "other", 2, None),
    (r"(can|may) (he|she|they|my \w+) (visit|come|stay)|visit (me|us)", "other", 3, None),
    (r"shuttle|bus", "other", 3, None),
    (r"toilets?|hot water|wifi|internet|crowded", "other", 1, None),
)
