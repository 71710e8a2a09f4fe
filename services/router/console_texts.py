"""Every word of the committee console, in Simplified Chinese and English.

Committee members are workers and managers, not programmers: the texts say what happened and what
to do next, in plain words, and never show an API's error message.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.pages import Catalog
from shared.validation import Language

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
_STATUSES = {
    "assigned": ("待确认", "New, not acknowledged"),
    "acknowledged": ("处理中", "Acknowledged"),
    "resolved": ("等待工人答复", "Resolved, waiting for the worker"),
    "reopened": ("已重新打开", "Reopened"),
    "closed": ("已结案", "Closed"),
    "unassigned": ("由独立机构处理", "With the independent organisation"),
}
_SEVERITIES = {"critical": ("紧急", "Critical"), "high": ("高", "High"), "normal": ("一般", "Normal")}
_DELIVERY = {
    "pending": ("等待发送", "Waiting to be sent"),
    "sending": ("正在发送", "Sending"),
    "waiting_for_worker": (
        "等待工人再次来信：微信只允许在工人最近一条消息后 48 小时内回复",
        "Waiting for the worker's next message: WeChat allows replies only within 48 hours of it",
    ),
    "sent": ("已发出", "Sent"),
    "delivered": ("已送达", "Delivered"),
    "undelivered": ("未送达", "Not delivered"),
    "failed": ("发送失败", "Failed"),
    "undeliverable": ("无法送达", "Cannot be delivered"),
}
# Why a message did not reach the worker (shared.contracts.DeliveryReason), and what it leaves to do.
_DELIVERY_REASONS = {
    "channel_unconfigured": (
        "本系统尚未开通工人所用渠道（短信或微信）的发送：这条消息无法发出。",
        "Sending by the worker's channel (SMS or WeChat) is not set up on this system: "
        "the message cannot be sent.",
    ),
    "no_contact": (
        "工人没有留下联系方式：消息只会显示在状态页上。",
        "The worker left no contact: the message shows on the status page only.",
    ),
    "contact_withdrawn": (
        "工人已撤回联系方式（或取消关注公众号）：消息无法送到。",
        "The worker withdrew their contact (or unfollowed the account): the message cannot reach them.",
    ),
    "opted_out": (
        "工人的号码或账号已拒收消息：消息无法送到。",
        "The worker's number or account refuses messages: the message cannot reach them.",
    ),
    "number_invalid": (
        "工人的号码或账号无法接收消息（号码无效或不是手机号）。",
        "The worker's number or account cannot take messages (not valid, or not a mobile number).",
    ),
    "content_refused": (
        "短信服务商因内容拒发了这条消息：请换一种说法再发一次。",
        "The provider refused the text for its content: say it another way and send it again.",
    ),
    "provider_refused": (
        "短信或微信服务商拒发了这条消息。",
        "The SMS or WeChat provider refused the message.",
    ),
    "unreachable": (
        "运营商未能送到工人的手机（可能关机或不在服务区）。",
        "The carrier could not reach the worker's phone (it may be off or out of reach).",
    ),
    "expired": (
        "这是一条一次性验证码，工人在它失效前没有再来信，所以没有发出。",
        "It was a one-time code, and the worker did not write again before it expired: it was not sent.",
    ),
    "system_error": (
        "本系统未能准备这条消息：请告知管理员。",
        "This system could not prepare the message: tell the administrator.",
    ),
}
_CONTACT = {
    "none": (
        "工人没有留下联系方式：您的回复只会显示在状态页上。",
        "The worker left no contact: replies show on the status page only.",
    ),
    "unconfirmed": (
        "工人尚未确认网页表单上留下的号码：在确认之前无法给工人发消息。",
        "The worker has not confirmed the number given on the web form: no message can be sent yet.",
    ),
    "opted_out": (
        "工人已退订消息（回复了 STOP）：在工人发送 START 之前无法给工人发消息。",
        "The worker opted out of messages (sent STOP): nothing can be sent until they send START.",
    ),
    # The router cannot know whether intake can send by the worker's channel (the provider's
    # credentials are intake's alone): a message that cannot go is marked so, with its reason.
    "reachable": (
        "本系统开通了相应渠道的发送时，您的回复会以短信（工人从微信来信的，以微信）发给工人；"
        "无法发出的消息会注明原因。不会显示工人的号码。",
        "Replies go to the worker by SMS (by WeChat if they wrote there) when sending by that channel "
        "is set up on this system; a message that cannot be sent says why. Their number is never shown.",
    ),
    # The latest message to the worker was undeliverable: channel_unconfigured.
    "unconfigured": (
        "本系统尚未开通工人所用渠道的发送，上一条消息没有发出：在开通之前，您的回复只会显示在状态页上。",
        "Sending by the worker's channel is not set up on this system, so the last message was not sent: "
        "until it is, replies show on the status page only.",
    ),
}
_TIMELINE = {
    "assigned": ("分配给委员会", "Assigned to the committee"),
    "unassigned": ("交给独立机构", "Left to the independent organisation"),
    "acknowledged": ("确认收到", "Acknowledged"),
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
}
_ROLES = {
    "committee": ("委员会", "Committee"),
    "worker": ("工人", "Worker"),
    "ngo": ("独立机构", "Independent organisation"),
    "system": ("系统", "System"),
}


def _group(prefix: str, pairs: dict[str, tuple[str, str]]) -> dict[str, Mapping[Language, str]]:
    return {f"{prefix}.{key}": {"zh": zh, "en": en} for key, (zh, en) in pairs.items()}


TEXTS = Catalog(
    {
        **_group("category", _CATEGORIES),
        **_group("status", _STATUSES),
        **_group("severity", _SEVERITIES),
        **_group("delivery", _DELIVERY),
        **_group("delivery_reason", _DELIVERY_REASONS),
        **_group("contact", _CONTACT),
        **_group("timeline", _TIMELINE),
        **_group("role", _ROLES),
        "brand": {"zh": "委员会工作台", "en": "Committee console"},
        "signin.title": {"zh": "委员会登录", "en": "Committee sign-in"},
        "signin.intro": {
            "zh": "请输入管理员发给您委员会的访问令牌（以 gvt_ 开头）。登录后 12 小时内有效，用完请退出。",
            "en": "Enter the access token your committee was given (it starts with gvt_). "
            "You stay signed in for 12 hours; sign out when you are done.",
        },
        "signin.token": {"zh": "委员会令牌", "en": "Committee token"},
        "signin.submit": {"zh": "登录", "en": "Sign in"},
        "signin.refused": {
            "zh": "这个令牌无效、已过期或已被收回，或者不是委员会令牌。请向管理员索取新令牌。",
            "en": "This token is not valid, has expired or was revoked, or is not a committee token. "
            "Ask the administrator for a new one.",
        },
        "signin.again": {
            "zh": "您已退出，或者登录已过期。请重新登录。",
            "en": "You are signed out, or your sign-in expired. Please sign in again.",
        },
        "signout": {"zh": "退出", "en": "Sign out"},
        "signout.done": {"zh": "您已退出。", "en": "You are signed out."},
        "signed_in_as": {"zh": "委员会：{committee}", "en": "Committee: {committee}"},
        "inbox.title": {"zh": "案件", "en": "Cases"},
        "inbox.link": {"zh": "全部案件", "en": "All cases"},
        "inbox.filters": {"zh": "筛选", "en": "Filter"},
        "inbox.status": {"zh": "状态", "en": "Status"},
        "inbox.category": {"zh": "类别", "en": "Category"},
        "inbox.overdue": {"zh": "只看已超时的", "en": "Overdue only"},
        "inbox.any": {"zh": "全部", "en": "Any"},
        "inbox.apply": {"zh": "筛选", "en": "Apply"},
        "inbox.counts": {"zh": "案件数量", "en": "Counts"},
        "inbox.count.all": {"zh": "全部", "en": "All"},
        "inbox.count.overdue": {"zh": "已超时", "en": "Overdue"},
        "inbox.shown": {"zh": "符合条件的案件：{shown} 件", "en": "Cases matching: {shown}"},
        "inbox.empty": {"zh": "没有符合条件的案件。", "en": "No case matches."},
        "inbox.previous": {"zh": "上一页", "en": "Previous page"},
        "inbox.next": {"zh": "下一页", "en": "Next page"},
        "inbox.page": {"zh": "第 {page} 页，共 {pages} 页", "en": "Page {page} of {pages}"},
        "field.reference": {"zh": "编号", "en": "Reference"},
        "field.status": {"zh": "状态", "en": "Status"},
        "field.category": {"zh": "类别", "en": "Category"},
        "field.severity": {"zh": "严重程度", "en": "Severity"},
        "field.received": {"zh": "收到时间", "en": "Received"},
        "field.ack_due": {"zh": "确认期限", "en": "Acknowledge by"},
        "field.resolve_due": {"zh": "解决期限", "en": "Resolve by"},
        "field.acknowledged_at": {"zh": "确认时间", "en": "Acknowledged"},
        "field.resolved_at": {"zh": "解决时间", "en": "Resolved"},
        "field.resolution": {"zh": "解决方案", "en": "Resolution"},
        "field.contact": {"zh": "联系工人", "en": "Reaching the worker"},
        "time.left": {"zh": "还剩 {span}", "en": "{span} left"},
        "time.overdue": {"zh": "已超时 {span}", "en": "overdue by {span}"},
        "time.met": {"zh": "已按时完成", "en": "done"},
        "time.days": {"zh": "{n} 天", "en": "{n} d"},
        "time.hours": {"zh": "{n} 小时", "en": "{n} h"},
        "time.minutes": {"zh": "{n} 分钟", "en": "{n} min"},
        "time.zone": {"zh": "时间均为{zone}时间。", "en": "Times are {zone} time."},
        "case.title": {"zh": "案件 {reference}", "en": "Case {reference}"},
        "case.back": {"zh": "返回案件列表", "en": "Back to the cases"},
        "case.grievance": {"zh": "工人的反映", "en": "The worker's grievance"},
        "case.thread": {"zh": "对话", "en": "Messages"},
        "case.no_messages": {"zh": "还没有消息。", "en": "No messages yet."},
        "case.from_worker": {"zh": "工人", "en": "Worker"},
        "case.from_committee": {"zh": "委员会", "en": "Committee"},
        "case.from_ngo": {"zh": "独立监督机构", "en": "Independent monitor"},
        "case.delivery": {"zh": "送达状态：{state}", "en": "Delivery: {state}"},
        "case.timeline": {"zh": "经过", "en": "Timeline"},
        "case.actions": {"zh": "处理", "en": "Actions"},
        "case.closed": {
            "zh": "案件已结案，不能再处理。",
            "en": "The case is closed; nothing more can be done.",
        },
        "action.acknowledge": {"zh": "确认收到", "en": "Acknowledge"},
        "action.acknowledge.hint": {
            "zh": "告诉工人委员会已收到反映（会通知工人）。",
            "en": "Tell the worker the committee has the case (the worker is told).",
        },
        "action.reply": {"zh": "回复工人", "en": "Reply to the worker"},
        "action.reply.text": {"zh": "回复内容", "en": "Your reply"},
        "action.reply.submit": {"zh": "发送回复", "en": "Send reply"},
        "action.resolve": {"zh": "提出解决方案", "en": "Resolve"},
        "action.resolve.text": {
            "zh": "解决方案（工人会收到并被问是否认可）",
            "en": "Resolution (the worker receives it and is asked to confirm)",
        },
        "action.resolve.submit": {"zh": "提交解决方案", "en": "Submit resolution"},
        "action.recuse": {"zh": "回避", "en": "Recuse"},
        "action.recuse.text": {"zh": "回避原因", "en": "Reason for recusing"},
        "action.recuse.hint": {
            "zh": "如果委员会成员与案件有关，请回避：案件会交给另一个委员会或独立机构。",
            "en": "If a member is involved in the case, recuse: it goes to another committee or to the "
            "independent organisation.",
        },
        "action.recuse.submit": {"zh": "确认回避", "en": "Recuse the committee"},
        "action.recategorise": {"zh": "更改类别", "en": "Change the category"},
        "action.recategorise.category": {"zh": "新的类别", "en": "New category"},
        "action.recategorise.severity": {"zh": "严重程度", "en": "Severity"},
        "action.recategorise.default": {"zh": "按类别默认", "en": "The category's own"},
        "action.recategorise.submit": {"zh": "更改类别", "en": "Change category"},
        "done.acknowledged": {
            "zh": "已确认收到，工人会收到通知。",
            "en": "Acknowledged; the worker is told.",
        },
        "done.replied": {
            "zh": "回复已保存，正在发给工人。",
            "en": "Reply saved and on its way to the worker.",
        },
        "done.resolved": {
            "zh": "解决方案已提交，等待工人答复。",
            "en": "Resolution submitted; waiting for the worker's answer.",
        },
        # The same, when nothing can be sent to the worker (the contact line below says why).
        "done.acknowledged.unsent": {
            "zh": "已确认收到。不会发消息给工人（原因见下方“联系工人”），工人在状态页上能看到。",
            "en": "Acknowledged. No message goes to the worker (see Reaching the worker below); they "
            "see it on their status page.",
        },
        "done.replied.unsent": {
            "zh": "回复已保存。它不会发给工人（原因见下方“联系工人”），只显示在工人的状态页上。",
            "en": "Reply saved. It is not sent to the worker (see Reaching the worker below); it shows "
            "on their status page only.",
        },
        "done.resolved.unsent": {
            "zh": "解决方案已提交。它不会发给工人（原因见下方“联系工人”），工人在状态页上看到并答复。",
            "en": "Resolution submitted. It is not sent to the worker (see Reaching the worker below); "
            "they see it and answer on their status page.",
        },
        "done.recategorised": {
            "zh": "类别已更改，期限随之更新。",
            "en": "Category changed; the deadlines follow.",
        },
        "done.left": {
            "zh": "案件 {reference} 已不再由本委员会处理（回避或转交独立机构）。",
            "en": "Case {reference} is no longer with this committee (recused, or passed to the "
            "independent organisation).",
        },
        "error.closed": {
            "zh": "案件已结案，不能再处理。",
            "en": "The case is closed; nothing more can be done.",
        },
        "error.conflict": {
            "zh": "案件现在的状态不允许这一步：解决方案已提交，正在等待工人答复。",
            "en": "The case's state does not allow this: a resolution was submitted and waits for the "
            "worker's answer.",
        },
        "error.opted_out": {
            "zh": "没有发送：工人已退订消息（回复了 STOP），在工人发送 START 之前无法发消息。",
            "en": "Not sent: the worker opted out of messages (sent STOP); nothing can be sent until "
            "they send START.",
        },
        "error.unconfirmed": {
            "zh": "没有发送：工人还没有确认留下的号码，在确认之前无法发消息。",
            "en": "Not sent: the worker has not confirmed the number they gave; nothing can be sent "
            "until they do.",
        },
        "error.changed": {
            "zh": "案件刚刚被别人同时修改了，请再试一次。",
            "en": "The case changed at the same moment; please try again.",
        },
        "error.unavailable": {
            "zh": "已保存，但系统暂时无法通知其他部分。请稍后再点一次，不会重复。",
            "en": "Saved, but the system could not pass it on yet. Press the button again in a moment; "
            "nothing is done twice.",
        },
        "error.invalid": {
            "zh": "请检查填写的内容：{detail}",
            "en": "Please check what you entered: {detail}",
        },
        "error.not_found": {
            "zh": "找不到这个案件（编号不对，或者不是本委员会的案件）。",
            "en": "No such case (a wrong reference, or not this committee's case).",
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
        "error.back": {"zh": "返回", "en": "Go back"},
    }
)
