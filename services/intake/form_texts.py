"""Every word of the HTML web form and its receipt, in Simplified Chinese and English.

Workers read these on a phone, often in a hurry and not in their first language: short sentences,
what to do next, and nothing promised that the system does not do (docs/intake.md, "HTML form",
says what each promise rests on).
"""

from __future__ import annotations

from datetime import timedelta

from shared.pages import Catalog
from shared.validation import Language

TEXTS = Catalog(
    {
        "brand": {"zh": "工人投诉渠道", "en": "Worker grievance channel"},
        "form.title": {"zh": "提交投诉", "en": "Report a grievance"},
        "form.intro": {
            "zh": "告诉我们工厂里发生了什么。不需要注册，也不需要留下姓名。",
            "en": "Tell us what happened at your factory. No account is needed, and no name.",
        },
        "privacy.title": {"zh": "谁能看到", "en": "Who sees what"},
        "privacy.text": {
            "zh": "您工厂的对话委员会会看到您写的内容。如果不想让人知道是您，请不要写姓名或能认出您的细节。",
            "en": "Your factory's dialogue committee reads what you write. If you do not want "
            "to be recognised, leave out your name and details that point to you.",
        },
        "privacy.phone": {
            "zh": "手机号码一收到就加密保存：委员会永远看不到，日志里也不会记录。",
            "en": "A phone number is encrypted as soon as it arrives: the committee never sees it, "
            "and it is never written in our logs.",
        },
        "privacy.named": {
            "zh": "如果您在投诉中写了某位委员会成员的名字，有这位成员的委员会不会收到您的投诉。",
            "en": "A committee with a member you name in your grievance is not given it.",
        },
        "field.factory_code": {"zh": "工厂编号", "en": "Factory code"},
        "field.factory_code.hint": {
            "zh": "在工厂公告栏上，例如 GZ-001。",
            "en": "On your factory's notice board, for example GZ-001.",
        },
        "field.text": {"zh": "发生了什么", "en": "What happened"},
        "field.text.hint": {
            "zh": "用您自己的话写，最多 4000 字：什么事、在哪里、从什么时候开始。",
            "en": "In your own words, up to 4000 characters: what, where, and since when.",
        },
        "field.contact": {"zh": "手机号码（可以不填）", "en": "Mobile number (optional)"},
        "field.contact.hint": {
            "zh": "只有想收到短信回复时才填。我们会先发一个验证码到这个号码，您确认后回复才会发到这里。",
            "en": "Only if you want replies by SMS. We first send a code to this number; replies come "
            "to it once you confirm it.",
        },
        "form.submit": {"zh": "提交投诉", "en": "Send the grievance"},
        "error.summary": {
            "zh": "投诉还没有提交。请修改下面标出的地方，然后再提交。",
            "en": "The grievance was not sent. Please correct what is marked below and send it again.",
        },
        "error.factory_code.missing": {"zh": "请填写工厂编号。", "en": "Write your factory's code."},
        "error.factory_code.format": {
            "zh": "工厂编号只有字母、数字和“-”，没有空格，例如 GZ-001。",
            "en": "A factory code has only letters, digits and '-', no spaces, for example GZ-001.",
        },
        "error.factory_code.unknown": {
            "zh": "没有这个工厂编号。请核对工厂公告栏上的编号（例如 GZ-001）。",
            "en": "There is no factory with this code. Check the code on your factory's notice board "
            "(for example GZ-001).",
        },
        "error.text.missing": {"zh": "请写下发生了什么。", "en": "Write what happened."},
        "error.text.long": {
            "zh": "最多 4000 字，请缩短一些。",
            "en": "At most 4000 characters: please shorten it.",
        },
        "error.text.invalid": {
            "zh": "内容里有无法发送的字符，请删掉后再提交。",
            "en": "The text holds characters that cannot be sent: please remove them.",
        },
        "error.contact.invalid": {
            "zh": "这不是可以接收短信的手机号码。请填写您的手机号码（例如 13912345678），或者不填。",
            "en": "This is not a mobile number that can receive SMS. Give your mobile number "
            "(for example 13912345678), or leave it empty.",
        },
        "error.expired": {
            "zh": "这个表单太旧了，或者不是在本网站打开的。投诉还没有提交：请检查下面的内容，然后再提交一次。",
            "en": "This form is too old, or was not opened on this site. The grievance was not sent: "
            "check it below and send it again.",
        },
        "error.too_many": {
            "zh": "这里刚刚提交了太多投诉。投诉还没有提交：请 {minutes} 分钟后再试。",
            "en": "Too many grievances were sent from here just now. This one was not sent: please "
            "try again in {minutes} minutes.",
        },
        "error.not_confirmed": {
            "zh": "暂时无法确认投诉已保存，但它可能已经收到。请原样再提交一次：同一份投诉不会被重复登记。",
            "en": "We could not confirm just now that your grievance is stored, but it may have "
            "arrived. Send the form again as it is: it will never be filed twice.",
        },
        "error.malformed": {
            "zh": "无法读取这个表单。请重新打开本页再提交。",
            "en": "The form could not be read. Please open this page again and send it.",
        },
        "receipt.title": {"zh": "投诉已收到", "en": "Your grievance is received"},
        "receipt.keep": {
            "zh": "请记下或拍下编号和密码。密码只在这一页显示，以后无法再查看。",
            "en": "Write down or photograph the reference and the PIN. The PIN is shown only on this "
            "page and cannot be shown again.",
        },
        "receipt.reference": {"zh": "案件编号", "en": "Reference"},
        "receipt.pin": {"zh": "密码（PIN）", "en": "PIN"},
        "next.title": {"zh": "接下来会怎样", "en": "What happens next"},
        "next.ack": {
            "zh": "您工厂的委员会必须在 {most} 内确认收到（紧急情况 {least} 内）。如果没有按时确认，独立机构会接手跟进。",
            "en": "Your factory's committee must acknowledge it within {most} at the latest (urgent "
            "cases within {least}). If it does not, an independent organisation is told and follows "
            "the case.",
        },
        "next.ack_same": {
            "zh": "您工厂的委员会必须在 {most} 内确认收到。如果没有按时确认，独立机构会接手跟进。",
            "en": "Your factory's committee must acknowledge it within {most}. If it does not, an "
            "independent organisation is told and follows the case.",
        },
        "next.follow": {
            "zh": "在案件页面用编号和密码查看进展、委员会的回复，也可以补充内容：",
            "en": "Follow the case, read the committee's replies and add to it on the case page, with "
            "your reference and PIN:",
        },
        "next.follow_link": {"zh": "打开案件页面", "en": "Open the case page"},
        "next.pin_safe": {
            "zh": "链接里没有密码：打开后再输入。",
            "en": "The link holds no PIN: enter it on the page.",
        },
        "confirm.title": {"zh": "确认您的手机号码", "en": "Confirm your mobile number"},
        "confirm.text": {
            "zh": "我们会给您留下的号码发一条带六位验证码的短信（每个号码每天最多一条）。请用这部手机直接回复这六位数字。确认之前，这个号码不会收到任何其他短信。",
            "en": "We are sending an SMS with a six-digit code to the number you gave (at most one a day "
            "per number). Reply to it from that phone with just the six digits. Until then, nothing "
            "else is sent to that number.",
        },
        "confirm.page": {
            "zh": "也可以在确认页面输入验证码：",
            "en": "Or enter the code on the confirmation page:",
        },
        "confirm.page_link": {"zh": "输入验证码", "en": "Enter the code"},
        "confirm.none": {
            "zh": "没有收到短信？没关系：在案件页面用编号和密码一样可以跟进案件。",
            "en": "No SMS? You can still follow the case on the case page with your reference and PIN.",
        },
        "receipt.another": {"zh": "再提交一份投诉", "en": "Report another grievance"},
    }
)


def duration_words(span: timedelta, language: Language) -> str:
    """A deadline as a worker reads it: "48 小时", "2 hours", "10 seconds" (the demo's SLA)."""
    seconds = max(int(span.total_seconds()), 0)
    count, zh, en = seconds, "秒", "second"
    for size, zh_unit, en_unit in ((3600, "小时", "hour"), (60, "分钟", "minute")):
        if seconds >= size and seconds % size == 0:
            count, zh, en = seconds // size, zh_unit, en_unit
            break
    return f"{count} {zh}" if language == "zh" else f"{count} {en}{'' if count == 1 else 's'}"
