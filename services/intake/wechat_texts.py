"""What the WeChat webhook answers at once, as a passive reply, to a push that opens no grievance.

A text is answered by the router (the one text it earns), never here; a follow, a voice note or a
picture earn no text from the router, so they are answered here.

A follow and a voice note carry no language to go by, so these texts are in Simplified Chinese
first (the first deployment is in China) and English after. They say what to send next and promise
nothing about the factory: the worker's account is never shown to it.
"""

from __future__ import annotations

WELCOME = (
    "欢迎关注。直接发送文字即可反映问题（可先写工厂编号），我们会保密处理并给您案件编号。"
    "回复“状态”查询进度，“帮助”查看说明。\n"
    "Welcome. Type your report here (the factory code first, if you know it); it is handled in "
    "confidence and you get a case reference. Send STATUS for progress, HELP for help."
)

PLEASE_TYPE = (
    "暂时无法收听语音或查看图片，请用文字发送您的问题。\n"
    "We cannot listen to voice notes or open pictures yet: please type your message."
)
