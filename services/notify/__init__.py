"""Notifications to committees and NGOs where they already are: WeCom and DingTalk group robots, e-mail.

On a new case, a worker's message, a deadline drawing near and an escalation, the recipient is
told the case reference, the category and the deadline, with a link to the case's console page,
and nothing else: never the worker's words or contact (``model.Notification`` has no field for
them). ``config`` is the registry's ``notify`` block, ``render`` the words in Chinese and English,
``wecom``, ``dingtalk`` and ``smtp`` the channels behind one ``dispatch.Notifier`` protocol, and
``dispatch.deliver`` sends through every channel a recipient configured. See docs/notifications.md.
"""
