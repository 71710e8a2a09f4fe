"""What the router says to a worker, in Simplified Chinese or English (pure).

Texts are short because they travel by SMS on cheap phones; each names the case reference, which is
what the worker types back. Deadlines are shown in China Standard Time for Chinese texts (the first
deployment is China) and in UTC for English ones, with the zone named.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from shared.contracts import Language

CST = timezone(timedelta(hours=8))

STATUS_NAMES: dict[str, dict[str, str]] = {
    "zh": {
        "assigned": "已转交委员会",
        "unassigned": "由独立机构处理中",
        "acknowledged": "委员会已受理",
        "resolved": "已提出解决方案，等待您确认",
        "reopened": "已重新处理",
        "closed": "已结案",
    },
    "en": {
        "assigned": "passed to the committee",
        "unassigned": "with an independent organisation",
        "acknowledged": "acknowledged by the committee",
        "resolved": "resolved, waiting for your confirmation",
        "reopened": "reopened",
        "closed": "closed",
    },
}


def when(language: Language, at: datetime) -> str:
    if language == "zh":
        return at.astimezone(CST).strftime("%m月%d日 %H:%M") + "（北京时间）"
    return at.astimezone(UTC).strftime("%d %b %H:%M UTC")


def ack(
    language: Language, reference: str, ack_due: datetime, resolve_due: datetime, independent: bool
) -> str:
    if language == "zh":
        who = "独立机构" if independent else "工厂对话委员会"
        return (
            f"已收到您的投诉，编号 {reference}。{who}将在 {when('zh', ack_due)} 前受理，"
            f"{when('zh', resolve_due)} 前给出答复。回复“状态”查询进度，回复“帮助”了解用法。"
        )
    who = "An independent organisation" if independent else "The factory dialogue committee"
    return (
        f"We received your grievance, reference {reference}. {who} will acknowledge it by "
        f"{when('en', ack_due)} and answer by {when('en', resolve_due)}. Reply STATUS for progress, HELP for help."
    )


def ask_factory_code(language: Language, reference: str) -> str:
    if language == "zh":
        return (
            f"已收到您的投诉，编号 {reference}，但我们不知道是哪家工厂。"
            "请回复工厂编号（例如 GZ-001）加上您的投诉内容。"
        )
    return (
        f"We received your grievance, reference {reference}, but do not know which factory it is about. "
        "Please reply with the factory code (for example GZ-001) followed by your message."
    )


def acknowledged(language: Language, reference: str) -> str:
    if language == "zh":
        return f"您的投诉 {reference} 已被委员会受理。"
    return f"The committee has acknowledged your grievance {reference}."


def committee_reply(language: Language, reference: str, text: str) -> str:
    if language == "zh":
        return f"[{reference}] 委员会回复：{text}"
    return f"[{reference}] The committee replies: {text}"


def resolution_check(language: Language, reference: str, resolution: str) -> str:
    if language == "zh":
        return f"[{reference}] 委员会的解决方案：{resolution} 您满意吗？请回复“是”或“否”。"
    return f"[{reference}] The committee's resolution: {resolution} Are you satisfied? Reply YES or NO."


def status(
    language: Language, reference: str, status_name: str, ack_due: datetime, resolve_due: datetime
) -> str:
    name = STATUS_NAMES[language].get(status_name, status_name)
    if language == "zh":
        return f"[{reference}] 状态：{name}。受理期限 {when('zh', ack_due)}，答复期限 {when('zh', resolve_due)}。"
    return (
        f"[{reference}] Status: {name}. Acknowledge by {when('en', ack_due)}, "
        f"answer by {when('en', resolve_due)}."
    )


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
            "发送“工厂编号 投诉内容”提交投诉，您的号码不会告诉工厂。回复“状态”查询进度，"
            "“是/否”回答解决方案，“新投诉 内容”提交另一个投诉，“退订”停止短信。"
        )
    return (
        "Send 'FACTORY-CODE your message' to report; the factory never sees your number. Reply STATUS "
        "for progress, YES/NO to answer a resolution, NEW followed by text for another grievance, STOP to "
        "end messages."
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
