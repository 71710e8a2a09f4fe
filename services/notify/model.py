"""What a committee or an NGO is told, and no more (pure).

A notification says that something happened to a case and by when the recipient should act: the
case reference, its category and a deadline. It has no field for the worker's text, their contact,
a committee's reply or a member's name, and it forbids extra fields, so no caller can slip one in:
the group chats and mailboxes it reaches are outside the system's control (robots' groups grow,
mail is forwarded). The recipient reads the case itself in the console, behind their token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.notify.config import NotifyConfig
from shared.contracts import CaseAssigned, Category, Language, PlainId, Reference

NotificationKind = Literal["case_assigned", "worker_message", "deadline_soon", "escalated"]
RecipientKind = Literal["committee", "ngo"]
# The first deployment is China; a recipient who set no language reads Chinese.
DEFAULT_LANGUAGE: Language = "zh"


class Recipient(BaseModel):
    """A committee or an NGO, and the channels it configured in the registry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecipientKind
    id: PlainId
    notify: NotifyConfig


class Notification(BaseModel):
    """One thing to tell one recipient. ``deadline`` is when the recipient's next step is due."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: NotificationKind
    reference: Reference
    category: Category
    deadline: AwareDatetime
    language: Language
    recipient: Recipient

    @classmethod
    def build(
        cls,
        kind: NotificationKind,
        *,
        reference: str,
        category: Category,
        deadline: AwareDatetime,
        recipient: Recipient,
    ) -> Notification:
        """A notification in the recipient's configured language (Chinese by default)."""
        return cls(
            kind=kind,
            reference=reference,
            category=category,
            deadline=deadline,
            language=recipient.notify.language or DEFAULT_LANGUAGE,
            recipient=recipient,
        )


def assigned(event: CaseAssigned, recipient: Recipient) -> Notification:
    """The notification of a new case: acknowledge it by ``ack_due_at``.

    The event carries the worker's text and sealed contact (escalation needs them); only the
    reference, the category and the deadline are taken from it.
    """
    return Notification.build(
        "case_assigned",
        reference=event.reference,
        category=event.category,
        deadline=event.ack_due_at,
        recipient=recipient,
    )
