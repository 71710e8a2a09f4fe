"""Every word of the effectiveness dashboard (and of its CSV's header), in Simplified Chinese and English.

The readers are programme staff of an NGO, brands and factories they share the figures with: the
figures are named as UNGP 31 reports them, and a hidden figure says why it is hidden.
"""

from __future__ import annotations

from shared.pages import Catalog

_CATEGORIES = {
    "child_labour": ("童工", "Child labour"),
    "forced_labour": ("强迫劳动", "Forced labour"),
    "health_safety": ("健康与安全", "Health and safety"),
    "freedom_of_association": ("结社自由", "Freedom of association"),
    "discrimination": ("歧视", "Discrimination"),
    "harassment_abuse": ("骚扰与虐待", "Harassment and abuse"),
    "working_hours": ("工作时间", "Working hours"),
    "wages": ("工资", "Wages"),
    "retaliation": ("报复", "Retaliation"),
    "other": ("其他", "Other"),
}
_FIGURES = {
    "received": ("收到", "Received"),
    "acknowledged_on_time_pct": ("按时确认 %", "Acknowledged on time %"),
    "resolved_on_time_pct": ("按时解决 %", "Resolved on time %"),
    "median_days_to_resolve": ("解决天数中位数", "Median days to resolve"),
    "escalated": ("升级", "Escalated"),
    "disputed": ("工人不认可", "Disputed"),
    "reopened": ("重新打开", "Reopened"),
}

TEXTS = Catalog(
    {
        **{f"category.{k}": {"zh": zh, "en": en} for k, (zh, en) in _CATEGORIES.items()},
        **{f"figure.{k}": {"zh": zh, "en": en} for k, (zh, en) in _FIGURES.items()},
        "dashboard.brand": {"zh": "独立监督机构", "en": "Independent monitor"},
        "dashboard.title": {"zh": "申诉机制成效看板", "en": "Grievance mechanism effectiveness"},
        "dashboard.intro": {
            "zh": "按工厂和类别统计（联合国工商业与人权指导原则第31条：成效标准）。",
            "en": "Per factory and category (UN Guiding Principles, principle 31: effectiveness criteria).",
        },
        "nav.console": {"zh": "升级案件", "en": "Escalations"},
        "nav.dashboard": {"zh": "成效看板", "en": "Dashboard"},
        "signout": {"zh": "退出", "en": "Sign out"},
        "filter.legend": {"zh": "筛选", "en": "Filters"},
        "filter.from": {"zh": "收到日期从（UTC）", "en": "Received from (UTC)"},
        "filter.to": {"zh": "收到日期到（UTC，含当天）", "en": "Received until (UTC, inclusive)"},
        "filter.factory": {"zh": "工厂", "en": "Factory"},
        "filter.category": {"zh": "类别", "en": "Category"},
        "filter.any": {"zh": "全部", "en": "Any"},
        "filter.apply": {"zh": "查看", "en": "Show"},
        "period.all": {"zh": "全部时间", "en": "all time"},
        "period.from": {"zh": "{start} 起", "en": "from {start}"},
        "period.to": {"zh": "至 {end}", "en": "until {end}"},
        "period.between": {"zh": "{start} 至 {end}", "en": "{start} to {end}"},
        "dashboard.scope": {"zh": "范围：{period}", "en": "Period: {period}"},
        "dashboard.k_note": {
            "zh": "为保护工人，少于 {k} 件案件计算出的数字不显示（显示为“少于 {k} 件”）；"
            "可以由合计推算出被隐藏数字的，另一个数字也不公开（显示为“不公开”）。",
            "en": "To protect workers, a figure computed over fewer than {k} cases is not shown "
            "(“fewer than {k} cases”), and a figure that would let a hidden one be worked out "
            "from the totals is withheld too (“withheld”).",
        },
        "dashboard.total": {"zh": "合计", "en": "All factories"},
        "dashboard.by_factory": {"zh": "按工厂", "en": "Per factory"},
        "dashboard.by_group": {"zh": "按工厂和类别", "en": "Per factory and category"},
        "dashboard.csv": {"zh": "下载 CSV（可用 Excel 打开）", "en": "Download CSV (opens in Excel)"},
        "dashboard.empty": {"zh": "这个范围内没有案件。", "en": "No cases in this selection."},
        "dashboard.figure": {"zh": "数字", "en": "Figure"},
        "dashboard.value": {"zh": "数值", "en": "Value"},
        "chart.ack": {"zh": "各工厂按时确认的比例", "en": "Acknowledged on time, per factory"},
        "chart.resolve": {"zh": "各工厂按时解决的比例", "en": "Resolved on time, per factory"},
        "chart.received": {"zh": "各工厂收到的申诉", "en": "Grievances received, per factory"},
        "chart.desc_pct": {
            "zh": "已到期限的案件中按时完成的百分比。",
            "en": "Percentage of the cases whose deadline is decided that met it.",
        },
        "chart.desc_count": {"zh": "案件数。", "en": "Number of cases."},
        "mark.fewer_than_k": {"zh": "少于 {k} 件", "en": "fewer than {k} cases"},
        "mark.withheld": {"zh": "不公开", "en": "withheld"},
        "value.none": {"zh": "—（尚无到期）", "en": "— (nothing due yet)"},
        "value.pct": {"zh": "{value}%", "en": "{value}%"},
        "value.days": {"zh": "{value} 天", "en": "{value} days"},
        "factory.none": {"zh": "未知工厂（无法分派）", "en": "No factory (unroutable)"},
        "level.total": {"zh": "合计", "en": "total"},
        "level.factory": {"zh": "工厂", "en": "factory"},
        "level.group": {"zh": "工厂和类别", "en": "factory and category"},
        "field.factory": {"zh": "工厂", "en": "Factory"},
        "field.category": {"zh": "类别", "en": "Category"},
        "csv.level": {"zh": "层级", "en": "Level"},
        "csv.suppressed": {"zh": "{figure}（隐藏原因）", "en": "{figure} (why hidden)"},
        "error.title": {"zh": "无法显示看板", "en": "The dashboard cannot be shown"},
        "error.invalid": {"zh": "请检查筛选条件：{detail}", "en": "Please check the filters: {detail}"},
        "error.period": {
            "zh": "请检查筛选条件：结束日期早于开始日期。",
            "en": "Please check the filters: the end date is before the start date.",
        },
        "error.repeated": {
            "zh": "请检查筛选条件：同一个条件出现了两次。",
            "en": "Please check the filters: one of them is given twice.",
        },
        "error.back": {"zh": "回到看板", "en": "Back to the dashboard"},
    }
)
