"""Tables behind :mod:`services.router.nameforms`: surnames, titles, and the words that veto a match.

Data, not rules, kept apart so that a reviewer who knows how a Guangdong or Zhejiang shop floor
speaks can extend them without reading code. Everything is in the folded form of
:mod:`shared.textfold` (simplified, lower case).
"""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    """A table written as words separated by spaces: easier to read and extend than a list literal."""
    return tuple(text.split())


COMPOUND_SURNAMES = frozenset(
    words(
        "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闾丘 端木 南宫 西门 "
        "独孤 澹台 呼延 百里 东郭 万俟 申屠 太史 公羊 赫连 濮阳 拓跋 完颜 司空 第五 公冶 左丘 谷梁 宰父 段干 "
        "梁丘 亓官 仲孙 单于 微生 羊舌 乐正"
    )
)

# What follows a surname on the shop floor: job titles (王经理, 王拉长: a line leader in Guangdong,
# 王课长 in Taiwanese-run factories), honorifics (王师傅, 王老师) and family words (王姐, 王叔). 王生
# (Cantonese "Mr Wang") is left out: 王生产线 would match it.
TITLES = words(
    "经理 副经理 总经理 主任 副主任 主管 副主管 组长 副组长 班长 线长 拉长 课长 科长 部长 处长 厂长 副厂长 "
    "总 副总 总监 董 董事长 老板 老板娘 老细 师傅 师父 工程师 老师 助理 文员 会计 出纳 书记 主席 队长 领班 "
    "管理 秘书 专员 小姐 先生 女士 太太 姐 哥 叔 姨 伯 婶 阿姨 大姐 大哥 叔叔"
)

# What follows a given name: 芳姐, 明哥, 娜妹.
GIVEN_SUFFIXES = ("姐", "哥", "妹")

# The same titles in pinyin, after a romanised surname: "wang jingli", "Wang zong".
PINYIN_TITLES = words(
    "jingli zongjingli zhuren zhuguan zuzhang banzhang xianzhang lazhang kezhang buzhang changzhang "
    "zong zongjian dong laoban shifu laoshi jie ge shu"
)

# English words before a romanised surname. Honorifics are unambiguous; the job titles are skipped
# for surnames whose romanisation is also an English word ("the boss he said", "a leader long ago").
HONORIFICS = ("mr", "mrs", "ms", "miss", "madam", "master", "teacher")
EN_TITLES = ("boss", "manager", "supervisor", "director", "leader", "foreman", "chief")
ENGLISH_WORDS = frozenset(
    words("he an ma man long fan sun song tan pan ban bi mi die yu hang bo wan lu hu ye gong ding kong bu")
)

# Common words that contain a surname's (or a given name's) character: a derived form whose surname
# sits inside one of them is not a name. 关于经理 is "about the manager", not 于经理; 安全主任 is the
# safety officer, not 全主任; 小时 is an hour, not Little Shi; 老王八蛋 is an insult, not 老王; 厂方经理
# is the factory's manager, not 方经理.
COMMON_WORDS = words(
    "关于 对于 由于 小于 大于 等于 至于 属于 位于 用于 终于 在于 过于 善于 处于 基于 多于 少于 低于 高于 "
    "免于 忙于 急于 敢于 安全 完全 全部 健全 齐全 保安 治安 平安 公安 不安 部门 专门 后门 大门 前门 侧门 "
    "铁门 车门 厂门 开门 关门 锁门 小时 按时 及时 准时 同时 临时 当时 有时 平时 加时 超时 工时 老师 教师 "
    "律师 厨师 技师 工程师 师姐 师哥 师兄 老公 办公 公司 公平 小区 厂区 园区 地区 小车 叉车 货车 开车 "
    "小路 马路 一路 线路 对方 双方 厂方 资方 地方 方便 方面 最高 提高 扣钱 工钱 罚钱 小钱 现金 押金 奖金 "
    "主管 管理 主任 责任 打包 经常 正常 非常 平常 日常 常常 异常 会计 统计 加班 上班 下班 夜班 白班 "
    "门卫 保卫 毛病 小费 免费 收费 王八 小姐 大姐 大哥 表姐 表哥 阿姨 阿里 阿拉 阿伯 阿婆 阿公 说明 "
    "证明 聪明 明天 明白"
)

# Surnames read differently from the same character elsewhere (单 is shan as a surname, dan as
# "single"; 曾 is zeng, not ceng). The usual reading is kept as well.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",), "曾": ("zeng",), "解": ("xie",), "区": ("ou",), "朴": ("piao",), "仇": ("qiu",),
    "覃": ("qin",), "盖": ("ge",), "查": ("zha",), "乐": ("yue", "le"), "缪": ("miao",), "翟": ("zhai",),
    "秘": ("bi",), "种": ("chong",), "召": ("shao",), "冼": ("xian",), "折": ("she",), "员": ("yun",),
    "能": ("nai",), "尉": ("yu", "wei"), "柏": ("bai",), "粘": ("nian",), "牟": ("mu", "mou"),
    "句": ("gou",), "繁": ("po",), "黑": ("he",), "祭": ("zhai",), "谌": ("shen",), "长孙": ("zhangsun",),
    "尉迟": ("yuchi",), "万俟": ("moqi",), "单于": ("chanyu",), "澹台": ("tantai",), "令狐": ("linghu",),
}  # fmt: skip
