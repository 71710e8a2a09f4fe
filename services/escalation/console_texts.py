"""Every word of the NGO console, in Simplified Chinese and English.

The monitor's staff read cases, not API errors: the texts say what happened and what to do next, in
plain words. Every value the pages name (a reason, a status, a timeline action, a rule) has its text
here; a test keeps the lists complete against the contracts.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.pages import Catalog
from shared.validation import Language

_REASONS = {
    "ack_overdue": ("委员会超时未确认", "Not acknowledged in time"),
    "resolution_overdue": ("委员会超时未解决", "Not resolved in time"),
    "critical": ("紧急案件", "Critical case"),
    "retaliation": ("报复", "Retaliation"),
    "conflict_of_interest": ("利益冲突", "Conflict of interest"),
    "unroutable": ("找不到工厂或委员会", "No factory or committee found"),
    "disputed": ("工人不认可解决方案", "The worker disputed the resolution"),
}
_ESCALATION_STATUSES = {
    "open": ("待处理", "Open"),
    "acknowledged": ("已确认", "Acknowledged"),
    "resolved": ("已解决", "Resolved"),
}
_CASE_STATUSES = {
    "assigned": ("委员会待确认", "With a committee, not acknowledged"),
    "unassigned": ("没有委员会（由监督机构处理）", "No committee (the monitor holds it)"),
    "acknowledged": ("委员会处理中", "Acknowledged by the committee"),
    "resolved": ("等待工人答复", "Resolved, waiting for the worker"),
    "reopened": ("已重新打开", "Reopened"),
    "closed": ("已结案", "Closed"),
}
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
_SEVERITIES = {"critical": ("紧急", "Critical"), "high": ("高", "High"), "normal": ("一般", "Normal")}
_ACTIONS = {
    "assigned": ("分配给委员会", "Assigned"),
    "acknowledged": ("委员会确认收到", "Acknowledged"),
    "replied": ("委员会回复", "Committee replied"),
    "worker_replied": ("工人回复", "Worker replied"),
    "resolved": ("提出解决方案", "Resolution proposed"),
    "confirmed": ("工人确认解决", "Worker confirmed"),
    "disputed": ("工人不认可解决方案", "Worker disputed"),
    "reopened": ("重新打开", "Reopened"),
    "closed": ("结案", "Closed"),
    "recategorised": ("更改类别", "Category changed"),
    "recused": ("委员会回避", "Committee recused"),
    "contact_confirmed": ("工人确认了号码", "Worker confirmed the number"),
    "contact_withdrawn": ("工人撤回了联系方式", "Worker withdrew the contact"),
    "ngo_messaged": ("监督机构给工人发了消息", "The monitor wrote to the worker"),
    "transferred": ("监督机构转交委员会", "The monitor transferred the case"),
    "messages_stopped": ("工人退订消息（STOP）", "Worker sent STOP"),
    "messages_resumed": ("工人恢复接收消息（START）", "Worker sent START"),
}
_ROLES = {
    "committee": ("委员会", "Committee"),
    "worker": ("工人", "Worker"),
    "ngo": ("监督机构", "Monitor"),
    "system": ("系统", "System"),
}
_RULES = {
    "exact": ("姓名完全一致", "the name as registered"),
    "folded": (
        "姓名（分开写、隐藏字符或繁体）",
        "the name written apart, hidden or in traditional characters",
    ),
    "alias": ("登记的别名", "a registered alias"),
    "pinyin": ("拼音", "pinyin"),
    "derived-title": ("姓加称呼", "surname and title"),
    "derived-nickname": ("昵称", "a nickname"),
    "derived-pinyin": ("拼音的称呼", "a romanised form"),
}
_DEADLINES = {"acknowledge": ("确认期限", "Acknowledge by"), "resolve": ("解决期限", "Resolve by")}
# requests.Refused's codes: what the case, as escalation's record shows it, does not allow.
_REFUSED = {
    "unknown": (
        "系统还没有收到这个案件的最新状态，请稍后再试。",
        "The case's state has not reached this service yet; try again in a moment.",
    ),
    "closed": ("案件已结案，不能再处理。", "The case is closed; nothing more can be done."),
    "unreachable": (
        "无法联系工人：工人没有留下联系方式，或已撤回，或网页表单上的号码从未确认。",
        "The worker cannot be reached: they left no contact, withdrew it, or never confirmed the "
        "number given on the web form.",
    ),
    "stopped": (
        "无法联系工人：工人回复了 STOP 退订消息，之后没有发送 START。",
        "The worker cannot be reached: they sent STOP and have not sent START since.",
    ),
    "no_factory": (
        "这个案件没有工厂，没有委员会可以接手。",
        "The case has no factory, so no committee can take it.",
    ),
    "holder": ("这个委员会已经在处理这个案件。", "That committee holds the case already."),
}


def _group(prefix: str, pairs: dict[str, tuple[str, str]]) -> dict[str, Mapping[Language, str]]:
    return {f"{prefix}.{key}": {"zh": zh, "en": en} for key, (zh, en) in pairs.items()}


TEXTS = Catalog(
    {
        **_group("reason", _REASONS),
        **_group("estatus", _ESCALATION_STATUSES),
        **_group("status", _CASE_STATUSES),
        **_group("category", _CATEGORIES),
        **_group("severity", _SEVERITIES),
        **_group("action", _ACTIONS),
        **_group("role", _ROLES),
        **_group("rule", _RULES),
        **_group("deadline", _DEADLINES),
        **_group("refused", _REFUSED),
        "brand": {"zh": "独立监督机构工作台", "en": "Monitor console"},
        "signin.title": {"zh": "监督机构登录", "en": "Monitor sign-in"},
        "signin.intro": {
            "zh": "请输入管理员发给您机构的 NGO 访问令牌（以 gvt_ 开头）。登录后 12 小时内有效，用完请退出。",
            "en": "Enter the NGO access token your organisation was given (it starts with gvt_). "
            "You stay signed in for 12 hours; sign out when you are done.",
        },
        "signin.token": {"zh": "NGO 令牌", "en": "NGO token"},
        "signin.submit": {"zh": "登录", "en": "Sign in"},
        "signin.refused": {
            "zh": "这个令牌无效、已过期或已被收回，或者不是 NGO 令牌。请向管理员索取新令牌。",
            "en": "This token is not valid, has expired or was revoked, or is not an NGO token. "
            "Ask the administrator for a new one.",
        },
        "signin.again": {
            "zh": "您已退出，或者登录已过期。请重新登录。",
            "en": "You are signed out, or your sign-in expired. Please sign in again.",
        },
        "signout": {"zh": "退出", "en": "Sign out"},
        "signout.done": {"zh": "您已退出。", "en": "You are signed out."},
        "scope.all": {"zh": "所有工厂", "en": "All factories"},
        "scope.some": {"zh": "工厂：{factories}", "en": "Factories: {factories}"},
        "nav.cases": {"zh": "升级案件", "en": "Escalated cases"},
        "nav.dashboard": {"zh": "统计", "en": "Dashboard"},
        "list.title": {"zh": "升级案件", "en": "Escalated cases"},
        "list.find": {"zh": "按编号查找案件", "en": "Find a case by reference"},
        "list.find.label": {
            "zh": "案件编号（工人收到的编号）",
            "en": "Case reference (the one the worker has)",
        },
        "list.found": {
            "zh": "编号以 {code} 开头的升级案件不止一个，请选择：",
            "en": "More than one escalated case starts with {code}; choose one:",
        },
        "list.find.submit": {"zh": "查找", "en": "Find"},
        "list.filters": {"zh": "筛选", "en": "Filter"},
        "list.status": {"zh": "升级状态", "en": "Escalation status"},
        "list.reason": {"zh": "升级原因", "en": "Reason"},
        "list.any": {"zh": "全部", "en": "Any"},
        "list.apply": {"zh": "筛选", "en": "Apply"},
        "list.counts": {"zh": "案件数量", "en": "Counts"},
        "list.count.all": {"zh": "全部", "en": "All"},
        "list.shown": {"zh": "符合条件的案件：{shown} 件", "en": "Cases matching: {shown}"},
        "list.empty": {"zh": "没有符合条件的案件。", "en": "No case matches."},
        "list.previous": {"zh": "上一页", "en": "Previous page"},
        "list.next": {"zh": "下一页", "en": "Next page"},
        "list.page": {"zh": "第 {page} 页，共 {pages} 页", "en": "Page {page} of {pages}"},
        "field.reference": {"zh": "编号", "en": "Reference"},
        "field.reasons": {"zh": "升级原因", "en": "Reasons"},
        "field.estatus": {"zh": "升级状态", "en": "Escalation"},
        "field.case_status": {"zh": "案件状态", "en": "Case status"},
        "field.factory": {"zh": "工厂", "en": "Factory"},
        "field.committee": {"zh": "委员会", "en": "Committee"},
        "field.category": {"zh": "类别", "en": "Category"},
        "field.severity": {"zh": "严重程度", "en": "Severity"},
        "field.escalated": {"zh": "升级时间", "en": "Escalated"},
        "field.received": {"zh": "收到时间", "en": "Received"},
        "field.acknowledged_at": {"zh": "委员会确认时间", "en": "Acknowledged"},
        "field.resolved_at": {"zh": "解决时间", "en": "Resolved"},
        "field.closed_at": {"zh": "结案时间", "en": "Closed"},
        "field.missed": {"zh": "错过的期限", "en": "Deadlines missed"},
        "field.note": {"zh": "处理说明", "en": "Note"},
        "none": {"zh": "无", "en": "None"},
        "no_committee": {"zh": "没有委员会", "en": "No committee"},
        "no_factory": {"zh": "未知工厂", "en": "Unknown factory"},
        "time.left": {"zh": "还剩 {span}", "en": "{span} left"},
        "time.overdue": {"zh": "已超时 {span}", "en": "overdue by {span}"},
        "time.met": {"zh": "已完成", "en": "done"},
        "time.days": {"zh": "{n} 天", "en": "{n} d"},
        "time.hours": {"zh": "{n} 小时", "en": "{n} h"},
        "time.minutes": {"zh": "{n} 分钟", "en": "{n} min"},
        "time.zone": {"zh": "时间均为{zone}时间。", "en": "Times are {zone} time."},
        "case.title": {"zh": "案件 {reference}", "en": "Case {reference}"},
        "case.back": {"zh": "返回升级案件列表", "en": "Back to the escalated cases"},
        "case.escalations": {"zh": "升级记录", "en": "Escalations"},
        "case.now": {"zh": "案件现在的状态", "en": "The case now"},
        "case.now.unknown": {
            "zh": "还没有收到这个案件现在的状态。",
            "en": "The case's current state has not arrived yet.",
        },
        "case.snapshot": {"zh": "升级记录中的案件", "en": "The case as the escalation recorded it"},
        "case.grievance": {"zh": "工人的反映", "en": "The worker's grievance"},
        "case.no_text": {"zh": "（没有内容）", "en": "(no text)"},
        "case.timeline": {"zh": "经过", "en": "Timeline"},
        "case.conflicts": {"zh": "工人提到的委员会成员", "en": "Committee members the worker may name"},
        "case.conflict": {
            "zh": "{committee}：{member}（{role}），依据：{rule}；符合的成员 {shared} 人",
            "en": "{committee}: {member} ({role}), found by {rule}; members it fits: {shared}",
        },
        "case.actions": {"zh": "处理", "en": "Actions"},
        "case.closed": {
            "zh": "案件已结案：只能查看。",
            "en": "The case is closed: it can only be read.",
        },
        "do.acknowledge": {"zh": "确认收到升级", "en": "Acknowledge the escalation"},
        "do.acknowledge.hint": {
            "zh": "告诉同事本机构已在跟进（工人和委员会不会收到通知）。",
            "en": "Records that your organisation is on it (neither the worker nor the committee is told).",
        },
        "do.message": {"zh": "给工人写消息", "en": "Write to the worker"},
        "do.message.text": {"zh": "消息内容", "en": "Your message"},
        "do.message.hint": {
            "zh": "像委员会的回复一样发给工人，并注明来自独立监督机构。不会显示工人的号码。",
            "en": "Sent to the worker like a committee's reply, marked as coming from the independent "
            "monitor. The worker's number is never shown.",
        },
        "do.message.submit": {"zh": "发送消息", "en": "Send message"},
        "do.transfer": {"zh": "转交委员会", "en": "Transfer to a committee"},
        "do.transfer.committee": {"zh": "委员会", "en": "Committee"},
        "do.transfer.choose": {"zh": "请选择", "en": "Choose one"},
        "do.transfer.named": {
            "zh": "{committee}（有成员可能被提到）",
            "en": "{committee} (a member may be named)",
        },
        "do.transfer.other": {
            "zh": "或填写本工厂另一个委员会的编号",
            "en": "Or the id of another committee of this factory",
        },
        "do.transfer.hint": {
            "zh": "系统会检查这个委员会是否属于本工厂、处理这个类别、没有成员被工人提到；不符合就不会转交，案件保持不变。",
            "en": "The system checks that the committee belongs to the factory, handles the category and "
            "has no member the worker names; if not, nothing changes.",
        },
        "do.transfer.submit": {"zh": "转交", "en": "Transfer"},
        "do.close": {"zh": "结案", "en": "Close the case"},
        "do.close.text": {"zh": "结果（会告诉工人）", "en": "Outcome (the worker is told)"},
        "do.close.submit": {"zh": "结案并告诉工人", "en": "Close and tell the worker"},
        "do.resolve": {"zh": "标记升级已解决", "en": "Resolve the escalation"},
        "do.resolve.text": {"zh": "处理说明（只给本机构看）", "en": "Note (for your organisation only)"},
        "do.resolve.hint": {
            "zh": "只结束本机构的跟进，案件本身不会结案，工人不会收到通知。",
            "en": "Ends your organisation's follow-up only: the case stays as it is and the worker is not told.",
        },
        "do.resolve.submit": {"zh": "标记已解决", "en": "Resolve"},
        "done.acknowledged": {"zh": "已确认收到升级。", "en": "Escalation acknowledged."},
        "done.resolved": {"zh": "升级已标记为解决。", "en": "Escalation resolved."},
        "done.messaged": {
            "zh": "消息已交给系统，正在发给工人。",
            "en": "Message passed on; it is on its way to the worker.",
        },
        "done.transferred": {
            "zh": "已请求转交。系统检查后，案件现在的状态会显示新的委员会；如果没有变化，说明这个委员会不能接手。",
            "en": "Transfer requested. Once checked, the case now shows the new committee; if it does "
            "not change, that committee may not take the case.",
        },
        "done.closed": {
            "zh": "已请求结案，结果会告诉工人。",
            "en": "Closing requested; the worker is told the outcome.",
        },
        "error.not_found": {
            "zh": "找不到这个升级案件（编号不对，或者不在您负责的工厂范围内）。",
            "en": "No escalated case with this reference (a wrong reference, or outside your factories).",
        },
        "error.reference": {
            "zh": "这不是一个案件编号：编号是 10 个字母和数字，例如 K7M3P-9QXA2，短信里的代码是前 6 位，例如 K7M3P9。",
            "en": "That is not a case reference: it has ten letters and digits, like K7M3P-9QXA2; an "
            "SMS's code is its first six, like K7M3P9.",
        },
        "error.resolved": {
            "zh": "升级已经解决，不能再确认或用另一个说明解决。",
            "en": "The escalation is resolved already; it cannot be acknowledged or resolved with another note.",
        },
        "error.changed": {
            "zh": "升级刚刚被别人同时修改了，请刷新后再试。",
            "en": "The escalation changed at the same moment; reload and try again.",
        },
        "error.unavailable": {
            "zh": "系统暂时无法转达，请稍后再点一次，不会重复。",
            "en": "The system could not pass it on yet. Press the button again in a moment; nothing is "
            "done twice.",
        },
        "error.invalid": {
            "zh": "请检查填写的内容：{detail}",
            "en": "Please check what you entered: {detail}",
        },
        "error.csrf": {
            "zh": "这个表单已过期（页面太旧，或者不是从本站打开的）。请回到页面重新提交。",
            "en": "This form has expired (the page was too old, or did not come from this site). "
            "Go back to the page and submit again.",
        },
        "error.too_many": {
            "zh": "从这台设备登录的次数太多了，请一分钟后再试。",
            "en": "Too many sign-ins from this device; please try again in a minute.",
        },
        "error.refused": {"zh": "没有完成：{detail}", "en": "Not done: {detail}"},
    }
)
