"""Every word of the contact confirmation page, in Simplified Chinese and English."""

from __future__ import annotations

from shared.pages import Catalog

TEXTS = Catalog(
    {
        "contact_page.brand": {"zh": "工人投诉渠道", "en": "Worker grievance channel"},
        "contact_page.title": {"zh": "确认您的手机号码", "en": "Confirm your mobile number"},
        "contact_page.intro": {
            "zh": "填写提交投诉后显示的案件编号，以及我们用短信发到您手机上的六位验证码。",
            "en": "Enter the case reference the form showed you and the six-digit code we sent to "
            "your phone by SMS.",
        },
        "contact_page.reference": {"zh": "案件编号", "en": "Case reference"},
        "contact_page.reference.hint": {"zh": "例如 K7M3P-9QXA2。", "en": "For example K7M3P-9QXA2."},
        "contact_page.code": {"zh": "六位验证码", "en": "Six-digit code"},
        "contact_page.code.hint": {
            "zh": "在短信里。也可以直接用这部手机回复这六位数字。",
            "en": "In the SMS. You can also reply to it from that phone with just the six digits.",
        },
        "contact_page.submit": {"zh": "确认号码", "en": "Confirm the number"},
        "contact_page.done": {
            "zh": "号码已确认。从现在起，案件的进展会用短信发到这个号码。",
            "en": "Number confirmed. From now on, news of the case comes to this number by SMS.",
        },
        "contact_page.refused": {
            "zh": "编号或验证码不对，或此案件没有待确认的号码。几次错误之后，只能用手机回复短信来确认。",
            "en": "The reference or the code is not right, or this case has no number to confirm. "
            "After a few wrong tries, only a reply to the SMS from that phone confirms it.",
        },
        "contact_page.error.reference": {
            "zh": "案件编号是 5 个字符、“-”、再 5 个字符，例如 K7M3P-9QXA2。",
            "en": "A reference is five characters, '-', five more, for example K7M3P-9QXA2.",
        },
        "contact_page.error.code": {"zh": "验证码是六位数字。", "en": "The code is six digits."},
        "contact_page.expired": {
            "zh": "这个页面太旧了，或者不是在本网站打开的。请再填写一次。",
            "en": "This page is too old, or was not opened on this site. Please enter the code again.",
        },
        "contact_page.too_many": {
            "zh": "这里尝试的次数太多了。请等一分钟再试。",
            "en": "Too many tries from here. Please wait a minute and try again.",
        },
        "contact_page.malformed": {
            "zh": "无法读取这个表单。请重新打开本页再提交。",
            "en": "The form could not be read. Please open this page again and send it.",
        },
    }
)
