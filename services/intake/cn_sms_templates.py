"""What a message to a worker becomes on a Chinese SMS: an approved template and its one variable (pure).

Alibaba Cloud and Tencent Cloud send only templates (模板) approved in advance, and both refuse a URL
or a long text in a variable. So the committee's own words never travel by Chinese SMS: each
``message.outbound`` is mapped by its purpose to a *kind* of template, whose wording points the
worker to the worker page (a fixed URL, part of the approved wording) and whose only variable is
the case code (:func:`shared.ids.case_code`, six characters, the most a template variable may
safely hold). The worker reads the committee's words on the page.

One kind is different: ``verification``, a verification-code template (验证码模板, which providers
approve and deliver fastest), carries a one-time code instead of the case code: the worker page's
sign-in code and a web-form number's confirmation code. Its variable is the event's typed ``code``
field, never read out of the text.

The wordings are neutral on purpose (none of 投诉, 维权 or 调解): a text a supervisor may read over
a worker's shoulder says no more than "you have a reply". They are settings
(``GRIEVANCE_SMS_TEMPLATE_WORDING``) because each must match, word for word, what the operator had
approved at the provider; which variables a kind sends is read from its wording (``{code}`` in it
or not), so what is sent always matches what is registered. ``{url}`` stands for the worker page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from shared.contracts import Language, MessageOutbound, OutboundPurpose
from shared.ids import case_code

Kind = Literal["ack", "update", "resolution", "escalation", "question", "help", "verification"]
CODE, URL = "{code}", "{url}"

# Which template carries which message. The one-time codes (a contact confirmation, a sign-in code)
# go by the verification template, whose variable is the code.
KIND_OF: Mapping[OutboundPurpose, Kind | None] = {
    "ack": "ack",
    "status": "update",
    "committee_reply": "update",
    "ngo_message": "update",
    "ngo_outcome": "update",
    "resolution_check": "resolution",
    "escalation_notice": "escalation",
    "question": "question",
    "help": "help",
    "contact_confirmation": "verification",
    "sign_in_code": "verification",
}

DEFAULT_WORDING: Mapping[Language, Mapping[Kind, str]] = {
    "zh": {
        "ack": "您的消息已收到，编号{code}。请保存此编号，查看回复请访问{url}",
        "update": "编号{code}有更新，请访问{url}查看。",
        "resolution": "编号{code}的处理结果已更新，请访问{url}查看并确认。",
        "escalation": "编号{code}已交由独立机构跟进，请访问{url}查看。",
        "question": "您有多个进行中的编号，请在回复中写上相关的6位编号（见之前的短信）。",
        "help": "这里是工人意见渠道。查看进展请访问{url}，回复TD退订。",
        "verification": "您的验证码是{code}，请勿告诉他人。如非本人操作，请忽略本短信。",
    },
    "en": {
        "ack": "Your message was received, code {code}. Keep this code; replies are at {url}",
        "update": "There is an update for code {code}: see {url}",
        "resolution": "The outcome for code {code} is ready: see {url} to confirm it.",
        "escalation": "Code {code} was passed to an independent organisation: see {url}",
        "question": "You have several open codes: please write the 6-character code from our earlier SMS in your reply.",
        "help": "This is the workers' message line. See progress at {url}. Reply STOP to stop messages.",
        "verification": "Your verification code is {code}. Do not share it; if you did not ask for it, ignore this.",
    },
}


@dataclass(frozen=True)
class Template:
    """One message as a provider sends it: the approved template, its variables, the text it shows."""

    kind: Kind
    template_id: str
    params: Mapping[str, str]
    text: str


class NoTemplate(Exception):
    """This message cannot go by Chinese SMS; ``reason`` is what the committee sees as its code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Templates:
    """One provider's approved templates (kind, or ``kind:language``, to its id) and the wordings."""

    ids: Mapping[str, str]
    worker_page_url: str
    wording: Mapping[str, Mapping[str, str]]

    def wording_of(self, kind: Kind, language: Language) -> str:
        configured = self.wording.get(language, {}).get(kind)
        return configured if configured is not None else DEFAULT_WORDING[language][kind]

    def render(self, event: MessageOutbound) -> Template:
        """The template ``event`` goes as; :class:`NoTemplate` when none can carry it."""
        kind = KIND_OF.get(event.purpose)
        if kind is None:
            raise NoTemplate("no_sms_template")
        template_id = self.ids.get(f"{kind}:{event.language}") or self.ids.get(kind)
        if template_id is None:
            raise NoTemplate("no_sms_template")
        wording = self.wording_of(kind, event.language)
        params: dict[str, str] = {}
        text = wording.replace(URL, self.worker_page_url)
        if kind == "verification":
            if event.code is None or CODE not in wording:
                raise NoTemplate("no_code")
            params["code"] = event.code
            text = text.replace(CODE, params["code"])
        elif CODE in wording:
            if event.reference is None:
                raise NoTemplate("no_case_code")
            params["code"] = case_code(event.reference)
            text = text.replace(CODE, params["code"])
        return Template(kind, template_id, params, text)
