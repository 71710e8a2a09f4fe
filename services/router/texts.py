"""What the router says to a worker, in Simplified Chinese or English (pure).

Texts are short because they travel by SMS on cheap phones, where every segment costs: each fixed
text fits one segment (70 characters of UCS-2 for Chinese, 160 of the GSM-7 alphabet for English;
``tests/unit/test_router_texts.py`` measures each with its longest values), and only texts that carry
someone's words (a committee's reply) or a list (several cases) may run longer. Each names the case
reference, which is what the worker types back. Times are in the factory's time zone (the registry's
``timezone``, Asia/Shanghai by default), in both languages, with the zone named once per text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from shared.contracts import Language

if TYPE_CHECKING:  # progress reads the case, whose transitions use these texts
    from services.router.progress import Progress

DEFAULT_ZONE = "Asia/Shanghai"
# Zones workers know by a name; any other is shown as its offset from UTC (UTC+7).
_ZONE_NAMES = {"Asia/Shanghai": ("北京时间", "China time"), "Asia/Hong_Kong": ("香港时间", "HK time")}
Holder = Literal["committee", "independent", "both"]

STATUS_NAMES: dict[str, dict[str, str]] = {
    "zh": {
        "assigned": "已转交委员会",
        "unassigned": "由独立机构处理",
        "acknowledged": "委员会已受理",
        "resolved": "已有解决方案，待您确认",
        "reopened": "已重新处理",
        "closed": "已结案",
    },
    "en": {
        "assigned": "with the committee",
        "unassigned": "with an independent organisation",
        "acknowledged": "acknowledged by the committee",
        "resolved": "resolved, waiting for your answer",
        "reopened": "reopened",
        "closed": "closed",
    },
}


def zone_name(language: Language, zone: str, at: datetime) -> str:
    """北京时间 / China time, or the zone's offset at ``at`` (UTC+7, UTC-3:30)."""
    if zone in _ZONE_NAMES:
        return _ZONE_NAMES[zone][0 if language == "zh" else 1]
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def when(language: Language, at: datetime, zone: str = DEFAULT_ZONE) -> str:
    """A moment in the factory's zone, without the zone's name: 1月8日18:00 / 8 Jan 18:00."""
    local = at.astimezone(ZoneInfo(zone))
    if language == "zh":
        return f"{local.month}月{local.day}日{local:%H:%M}"
    return f"{local.day} {local:%b %H:%M}"


def ack(
    language: Language,
    reference: str,
    ack_due: datetime,
    resolve_due: datetime,
    holder: Holder,
    zone: str = DEFAULT_ZONE,
) -> str:
    """The one acknowledgement of a new grievance: its reference, who holds it and the deadlines.

    ``both``: a critical case the committee holds while the NGO follows it from the start.
    """
    a, r, z = (
        when(language, ack_due, zone),
        when(language, resolve_due, zone),
        zone_name(language, zone, ack_due),
    )
    if language == "zh":
        if holder == "both":
            return f"已收到投诉{reference}。情况严重，独立机构也跟进。委员会{a}前受理，{r}前答复（{z}）。"
        who = "独立机构" if holder == "independent" else "委员会"
        return f"已收到投诉，编号{reference}。{who}{a}前受理，{r}前答复（{z}）。回复“状态”查进度。"
    if holder == "both":
        return (
            f"Received: grievance {reference}. Serious: an independent monitor follows it. "
            f"The committee acknowledges by {a}, answers by {r} ({z})."
        )
    who = "An independent monitor" if holder == "independent" else "The committee"
    return (
        f"Received: grievance {reference}. {who} acknowledges it by {a} and answers by {r} ({z}). "
        "Reply STATUS for progress."
    )


def ask_factory_code(language: Language, reference: str) -> str:
    """The one text for an unroutable grievance: it asks for the factory, and says who holds it meanwhile."""
    if language == "zh":
        return f"已收到投诉，编号{reference}，但不知道是哪家工厂。请回复工厂编号（如GZ-001）加投诉内容。在此之前由独立机构跟进。"
    return (
        f"Received: grievance {reference}, but which factory? Reply with its code (e.g. GZ-001) and your "
        "message. Until then an independent monitor follows it."
    )


def acknowledged(language: Language, reference: str) -> str:
    if language == "zh":
        return f"您的投诉 {reference} 已被委员会受理。"
    return f"The committee has acknowledged your grievance {reference}."


def committee_reply(language: Language, reference: str, text: str) -> str:
    if language == "zh":
        return f"[{reference}] 委员会回复：{text}"
    return f"[{reference}] The committee replies: {text}"


def ngo_message(language: Language, reference: str, text: str) -> str:
    """A message of the monitoring NGO, labelled so the worker knows it is not the factory's."""
    if language == "zh":
        return f"[{reference}] 独立监督机构：{text}"
    return f"[{reference}] The independent monitor writes: {text}"


def ngo_outcome(language: Language, reference: str, outcome: str) -> str:
    """The outcome with which the monitoring NGO closed the case."""
    if language == "zh":
        return f"[{reference}] 独立监督机构已结案。结果：{outcome}"
    return f"[{reference}] The independent monitor closed your case. Outcome: {outcome}"


def resolution_check(language: Language, reference: str, resolution: str) -> str:
    if language == "zh":
        return f"[{reference}] 委员会的解决方案：{resolution} 您满意吗？请回复“是”或“否”。"
    return f"[{reference}] The committee's resolution: {resolution} Are you satisfied? Reply YES or NO."


def status(
    language: Language,
    reference: str,
    progress: Progress,
    ack_due: datetime,
    resolve_due: datetime,
    zone: str = DEFAULT_ZONE,
) -> str:
    """Where one case stands: its status, the NGO when it holds or follows the case, a deadline missed
    (instead of the deadline itself), else the next deadline."""
    name = STATUS_NAMES[language].get(progress.status, progress.status)
    zh = language == "zh"
    if progress.with_ngo and progress.status != "unassigned":
        name += "，独立机构已跟进" if zh else "; an independent monitor follows it"
    if progress.status == "closed":
        return f"[{reference}] 状态：{name}。" if zh else f"[{reference}] Status: {name}."
    if progress.overdue is not None:
        missed = {"acknowledge": ("受理", "acknowledgement"), "resolve": ("答复", "answer")}[progress.overdue]
        if zh:
            return f"[{reference}] 状态：{name}。{missed[0]}已逾期。"
        return f"[{reference}] Status: {name}. The {missed[1]} is overdue."
    due, what = (
        (ack_due, ("受理", "acknowledge"))
        if progress.status == "assigned"
        else (resolve_due, ("答复", "answer"))
    )
    at, z = when(language, due, zone), zone_name(language, zone, due)
    if zh:
        return f"[{reference}] 状态：{name}。{at}前{what[0]}（{z}）。"
    return f"[{reference}] Status: {name}. To {what[1]} by {at} ({z})."


def no_case(language: Language) -> str:
    if language == "zh":
        return "没有找到您的投诉。发送工厂编号和投诉内容即可提交新投诉。"
    return "We found no grievance of yours. Send the factory code and your message to open one."


def added_to_case(language: Language, reference: str) -> str:
    """A message without a reference went into the worker's only open case: say which one."""
    if language == "zh":
        return f"您的消息已加入您的投诉 {reference}，不是新投诉。如要提交新投诉，请发送“新投诉 内容”。"
    return (
        f"Your message was added to your grievance {reference}; it is not a new one. "
        "To report something else, send NEW followed by your message."
    )


def which_case(language: Language, references: Sequence[str]) -> str:
    refs = "、".join(references) if language == "zh" else ", ".join(references)
    if language == "zh":
        return f"您有多个投诉：{refs}。请在消息中写上编号重新发送，以便转给对应的委员会。"
    return f"You have several grievances: {refs}. Please send your message again with the reference in it."


def confirmed(language: Language, reference: str) -> str:
    if language == "zh":
        return f"谢谢您的确认，投诉 {reference} 已结案。"
    return f"Thank you. Grievance {reference} is now closed."


def disputed(language: Language, reference: str) -> str:
    if language == "zh":
        return f"投诉 {reference} 已重新打开，并已转交独立机构跟进。"
    return f"Grievance {reference} is reopened and has been passed to an independent organisation."


def stopped(language: Language) -> str:
    if language == "zh":
        return "您将不再收到我们的短信。回复“开通”可恢复。"
    return "You will receive no more messages from us. Reply START to receive them again."


def restarted(language: Language) -> str:
    if language == "zh":
        return "已恢复短信通知。"
    return "Messages are on again."


def help_text(language: Language) -> str:
    if language == "zh":
        return (
            "发送“工厂编号 投诉内容”投诉，工厂不会知道您的号码。回复“状态”查进度，"
            "“是/否”答复方案，“新投诉 内容”另提投诉，“退订”停止短信。"
        )
    return (
        "Send FACTORY-CODE and your message to report; the factory never sees your number. "
        "STATUS: progress. YES/NO: answer a resolution. NEW: another. STOP: no texts."
    )


def confirm_contact(language: Language, code: str) -> str:
    """The one text an unconfirmed web contact may get; it names no case, so a planter learns nothing."""
    if language == "zh":
        return f"有人在网上投诉时留了此号码。如是您本人，请回复验证码 {code} 或在网页输入；不是请忽略。"
    return (
        f"Someone gave this number on the grievance web form. If it was you, reply {code} "
        "or enter it on the web page. If not, ignore this."
    )


def contact_confirmed(language: Language, references: Sequence[str]) -> str:
    """The number is confirmed: replies about these cases come to it from now on."""
    listed = ", ".join(references)
    if language == "zh":
        return f"号码已确认。案件 {listed} 的进展将发到此号码。"
    return f"Number confirmed. News of case {listed} will come to this number."


def sign_in_code(language: Language, code: str) -> str:
    """The one-time code of the worker page: what it is for, how long it lasts, and that a worker
    who did not ask for it may ignore it (anyone who knows a reference can have one sent)."""
    if language == "zh":
        return f"您的案件网页登录码：{code}，10分钟内有效。请勿告诉他人；如不是您本人申请，请忽略。"
    return (
        f"Your sign-in code for the case page is {code}. It is valid for 10 minutes. "
        "Do not share it; if you did not ask for it, ignore this message."
    )
