"""The words of a notification, in Chinese or English (pure).

Every text is built from the case reference, the category's name and the deadline, nothing else:
the model holds nothing else. The deadline is shown in the recipient's own time zone (the
registry's ``timezone``, else the setting, Asia/Shanghai by default) with its UTC offset, because a
group robot's message is read on phones in whatever zone the reader is in. A link to the case's
console page closes the text when a console URL is configured. Texts are a few lines: they are
read in a group chat between other messages, well under WeCom's 2048-byte text limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.notify.model import Notification, NotificationKind, RecipientKind
from shared.contracts import Category, Language

DEFAULT_TIMEZONE = "Asia/Shanghai"
REFERENCE_PLACEHOLDER = "{reference}"

CATEGORY_NAMES: dict[Language, dict[Category, str]] = {
    "zh": {
        "child_labour": "童工",
        "forced_labour": "强迫劳动",
        "health_safety": "健康与安全",
        "freedom_of_association": "结社自由",
        "discrimination": "歧视",
        "harassment_abuse": "骚扰与虐待",
        "working_hours": "工作时间",
        "wages": "工资",
        "retaliation": "报复",
        "other": "其他",
    },
    "en": {
        "child_labour": "child labour",
        "forced_labour": "forced labour",
        "health_safety": "health and safety",
        "freedom_of_association": "freedom of association",
        "discrimination": "discrimination",
        "harassment_abuse": "harassment and abuse",
        "working_hours": "working hours",
        "wages": "wages",
        "retaliation": "retaliation",
        "other": "other",
    },
}

# The first word of every text: a group that set a DingTalk keyword can use it.
TAG: dict[Language, str] = {"zh": "【工人反馈】", "en": "[Grievance]"}

_HEADLINE: dict[Language, dict[NotificationKind, str]] = {
    "zh": {
        "case_assigned": "新案件 {ref} 已分配给您",
        "worker_message": "案件 {ref} 有工人的新消息",
        "deadline_soon": "案件 {ref} 即将到期",
        "escalated": "案件 {ref} 已升级至独立监督机构",
    },
    "en": {
        "case_assigned": "New case {ref} assigned to you",
        "worker_message": "New message from the worker on case {ref}",
        "deadline_soon": "Case {ref} is due soon",
        "escalated": "Case {ref} was escalated to an independent monitor",
    },
}

_DEADLINE: dict[Language, dict[NotificationKind, str]] = {
    "zh": {
        "case_assigned": "请于 {when}前确认受理",
        "worker_message": "处理期限：{when}",
        "deadline_soon": "期限：{when}",
        "escalated": "期限：{when}",
    },
    "en": {
        "case_assigned": "Acknowledge by {when}",
        "worker_message": "Due {when}",
        "deadline_soon": "Due {when}",
        "escalated": "Due {when}",
    },
}

_CATEGORY: dict[Language, str] = {"zh": "类别：{name}", "en": "Category: {name}"}
_OPEN: dict[Language, str] = {"zh": "查看案件：{url}", "en": "Open the case: {url}"}
_OPEN_LABEL: dict[Language, str] = {"zh": "查看案件", "en": "Open the case"}
_OPEN_HINT: dict[Language, str] = {"zh": "请登录控制台查看案件。", "en": "Open the case in the console."}


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs besides the notification: console links and the default zone.

    A console URL is a template holding ``{reference}`` (the committee console is served by the
    router, the NGO console by escalation, so each audience has its own).
    """

    committee_console_url: str | None = None
    ngo_console_url: str | None = None
    default_timezone: str = DEFAULT_TIMEZONE

    def link(self, audience: RecipientKind, reference: str) -> str | None:
        template = self.committee_console_url if audience == "committee" else self.ngo_console_url
        return template.replace(REFERENCE_PLACEHOLDER, reference) if template else None


@dataclass(frozen=True)
class Rendered:
    """A notification's words: a one-line title (mail subject, robot title), the category and
    deadline lines, and the console link if there is one."""

    title: str
    details: tuple[str, ...]
    link: str | None
    language: Language

    def text(self) -> str:
        """Plain text; the link on a line of its own, which chat apps and mail readers make clickable."""
        last = _OPEN[self.language].format(url=self.link) if self.link else _OPEN_HINT[self.language]
        return "\n".join((self.title, *self.details, last))

    def markdown(self) -> str:
        """The same as Markdown (the subset both robots render): a bold title, the link as a link."""
        label = _OPEN_LABEL[self.language]
        last = f"[{label}]({self.link})" if self.link else _OPEN_HINT[self.language]
        return "\n\n".join((f"**{self.title}**", *self.details, last))


def local_time(at: datetime, zone: str) -> str:
    """``2026-03-02 16:00 (UTC+8)`` in the zone given; minutes only when the offset has them."""
    local = at.astimezone(ZoneInfo(zone))
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return f"{local:%Y-%m-%d %H:%M} ({utc})"


def render(notification: Notification, context: RenderContext) -> Rendered:
    lang = notification.language
    zone = notification.recipient.notify.timezone or context.default_timezone
    when = local_time(notification.deadline, zone)
    if lang == "zh":
        when = when.replace(" (", "（").replace(")", "）")
    headline = _HEADLINE[lang][notification.kind].format(ref=notification.reference)
    separator = "" if lang == "zh" else " "
    return Rendered(
        title=f"{TAG[lang]}{separator}{headline}",
        details=(
            _CATEGORY[lang].format(name=CATEGORY_NAMES[lang][notification.category]),
            _DEADLINE[lang][notification.kind].format(when=when),
        ),
        link=context.link(notification.recipient.kind, notification.reference),
        language=lang,
    )
