"""The events that cross service boundaries (design section 4).

Every event is a frozen pydantic model with the same envelope. Consumers are tolerant readers: unknown
fields are ignored, so a producer may add optional fields without breaking anyone; a breaking change
is a new ``schema_version`` and so a new routing key (``"{type}.v{version}"``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

Channel = Literal["sms", "web", "wechat"]
Language = Literal["zh", "en"]
Severity = Literal["critical", "high", "normal"]
Category = Literal[
    "child_labour",
    "forced_labour",
    "health_safety",
    "freedom_of_association",
    "discrimination",
    "harassment_abuse",
    "working_hours",
    "wages",
    "retaliation",
    "other",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
UnassignedReason = Literal["unroutable", "conflict_of_interest", "retaliation"]
CaseAction = Literal[
    "acknowledged",
    "replied",
    "worker_replied",
    "resolved",
    "confirmed",
    "disputed",
    "reopened",
    "closed",
    "recategorised",
    "recused",
    "contact_confirmed",
    "contact_withdrawn",
]
ActorRole = Literal["committee", "worker", "ngo", "system"]
EscalationReason = Literal[
    "ack_overdue",
    "resolution_overdue",
    "critical",
    "retaliation",
    "conflict_of_interest",
    "unroutable",
    "disputed",
]
# How a worker's message was found to name a committee member (services/router/names.py), the most
# specific first: the registered name as written, the name once folded (separators, invisible
# characters, traditional characters), a registered alias, pinyin, and the forms derived from the
# name (surname + title, nicknames, both romanised).
NameRule = Literal[
    "exact", "folded", "alias", "pinyin", "derived-title", "derived-nickname", "derived-pinyin"
]
NAME_RULES: tuple[NameRule, ...] = NameRule.__args__  # type: ignore[attr-defined]
OutboundPurpose = Literal[
    "ack",
    "status",
    "committee_reply",
    "resolution_check",
    "escalation_notice",
    "help",
    "question",
    "contact_confirmation",
]

# Where a message to a worker stands, in the order it moves: a state never gives way to an earlier
# one (``delivery_rank``). Once sent, a message is delivered, or not (undelivered: the carrier gave up;
# failed: the provider or intake did); a message no channel can carry is undeliverable from the start.
DeliveryState = Literal["sending", "sent", "delivered", "undelivered", "failed", "undeliverable"]
DELIVERY_STATES: tuple[str, ...] = DeliveryState.__args__  # type: ignore[attr-defined]

# A reference is what a worker types back: ten characters from an alphabet without 0/O, 1/I/L.
Reference = Annotated[str, Field(pattern=r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")]
PlainId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class NamedMember(BaseModel):
    """A committee member a worker's message may name, and the rule that found them: for the NGO only.

    It says why a committee was passed over or lost a case. Only the escalation service shows it (to
    the NGO); the router never shows it to a committee, and it never carries the words the worker
    wrote. ``shared`` counts the members the matched form fits: more than one is a shared surname or
    title, a possible conflict for every one of them.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    committee_id: str
    member: str
    role: str | None = None
    rule: NameRule
    shared: int = Field(default=1, ge=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """The envelope every event carries."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    # The grievance this event descends from; it ties a case's whole history together in the logs.
    correlation_id: uuid.UUID

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.type}.v{cls.schema_version}"

    def to_json(self) -> bytes:
        """The message body: every field, then ``type`` and ``schema_version``, as compact UTF-8 JSON.

        pydantic's Rust serializer writes the fields (the same values as ``model_dump(mode="json")``);
        the two class-level keys are spliced in before the closing brace. The envelope's fields are
        always present, so the object is never empty.
        """
        fields = self.__pydantic_serializer__.to_json(self)
        return fields[:-1] + _envelope_suffix(type(self))


class GrievanceReceived(Event):
    """A worker's grievance, verified and normalised at the edge; the contact is already sealed."""

    type: ClassVar[str] = "grievance.received"

    grievance_id: uuid.UUID
    reference: Reference
    channel: Channel
    provider: str  # "twilio", "web", ...
    provider_message_id: str | None = None
    received_at: AwareDatetime
    text: str = Field(min_length=1, max_length=4000)
    language: Language
    # The factory code, keyword or gateway number the grievance came with, if any.
    factory_hint: str | None = None
    # The gateway number the worker wrote to (SMS `To`): replies go out from it.
    gateway_number: str | None = None
    reporter_key: str | None = None
    sealed_contact: str | None = None
    # Whether the channel proved that the sender holds this contact: a Twilio-signed ``From`` (or a
    # WeChat OpenID) does, a number typed into the web form does not. Only a proven contact binds a
    # later message to the case (docs/router.md, "Conversation binding"). None: a producer older
    # than the field, read as the channel implies (SMS proven, web not).
    contact_proven: bool | None = None
    anonymous: bool = True
    # HMAC of the web form's PIN, so the public status page can check it without storing the PIN.
    pin_hash: str | None = None


def contact_proven(event: GrievanceReceived) -> bool:
    """Whether the event's contact is proven, reading an event without the field by its channel."""
    if event.contact_proven is not None:
        return event.contact_proven
    return event.channel != "web"


class ContactWithdrawn(Event):
    """A worker withdrew the contact a channel proved (a WeChat unfollow): every case forgets it.

    The cases stay, de-identified: the router drops their sealed contact and reporter key, so no
    message reaches the worker and no later message binds to them without the reference. The id is
    derived from the provider's event, so a retried push publishes the same event.
    """

    type: ClassVar[str] = "contact.withdrawn"

    channel: Channel
    provider: str
    reporter_key: str = Field(min_length=1)
    at: AwareDatetime


class CaseAssigned(Event):
    """The router created a case; `committee_id` is null when no committee may handle it."""

    type: ClassVar[str] = "case.assigned"

    case_id: str
    reference: Reference
    factory_id: str | None
    committee_id: str | None
    unassigned_reason: UnassignedReason | None = None
    category: Category
    severity: Severity
    ack_due_at: AwareDatetime
    resolve_due_at: AwareDatetime
    # When the worker sent it: the start of every deadline (shared.sla), also after a recategorisation.
    received_at: AwareDatetime | None = None
    # Carried so escalation can snapshot the case and tell the worker without reading router state.
    channel: Channel
    language: Language
    text: str
    sealed_contact: str | None = None
    gateway_number: str | None = None
    created_at: AwareDatetime
    # The members the grievance may name, in the committees it was kept from (for the NGO only).
    conflicts: tuple[NamedMember, ...] = ()


class CaseUpdated(Event):
    """Something happened to a case; recategorisation carries the new severity and deadlines."""

    type: ClassVar[str] = "case.updated"

    case_id: str
    reference: Reference
    action: CaseAction
    actor_role: ActorRole
    at: AwareDatetime
    status: str
    committee_id: str | None = None
    category: Category | None = None
    severity: Severity | None = None
    ack_due_at: AwareDatetime | None = None
    resolve_due_at: AwareDatetime | None = None
    note: str | None = None
    # Only with ``contact_confirmed``: the worker proved the web form's number, so escalation may
    # text it now (``case.assigned`` never carried an unproven contact).
    sealed_contact: str | None = None
    # Only with ``recused``: the members the worker's messages may name, in the committee the case
    # left and in those passed over for the next one (for the NGO only).
    conflicts: tuple[NamedMember, ...] = ()


class CaseEscalated(Event):
    """An escalation was opened for the NGO."""

    type: ClassVar[str] = "case.escalated"

    case_id: str
    reference: Reference
    escalation_id: str
    reason: EscalationReason
    level: Literal["ngo"] = "ngo"
    factory_id: str | None = None
    at: AwareDatetime


class MessageOutbound(Event):
    """A text for a worker; only intake's sender unseals the contact and delivers it."""

    type: ClassVar[str] = "message.outbound"

    channel: Channel
    sealed_contact: str | None
    text: str = Field(min_length=1)
    language: Language
    reference: Reference | None = None
    case_id: str | None = None
    purpose: OutboundPurpose
    gateway_number: str | None = None


class MessageDeliveryChanged(Event):
    """Intake's sender moved a ``message.outbound`` on: sending, sent, delivered, or why not.

    ``outbound_id`` is the id of the ``message.outbound`` event. ``error_code`` is a code (the
    provider's, or intake's own such as ``no_contact``), never the provider's message text, which
    may quote the number. The id is derived from the outbound id and the state, so announcing one
    state twice publishes the same event.
    """

    type: ClassVar[str] = "message.delivery"

    outbound_id: uuid.UUID
    case_id: str | None = None
    reference: Reference | None = None
    state: DeliveryState
    error_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")] | None = None
    at: AwareDatetime


def delivery_rank(state: str) -> int:
    """The position of a delivery state in :data:`DELIVERY_STATES`; a higher rank supersedes a lower."""
    return DELIVERY_STATES.index(state)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        GrievanceReceived,
        ContactWithdrawn,
        CaseAssigned,
        CaseUpdated,
        CaseEscalated,
        MessageOutbound,
        MessageDeliveryChanged,
    )
}


class InvalidEvent(ValueError):
    """A payload that no retry can fix: it belongs in the dead-letter queue."""


def parse_event(body: bytes, type_name: str | None = None) -> Event:
    """Decode an event; raise :class:`InvalidEvent` for anything malformed or unknown."""
    try:
        raw = _loads(body)
    except ValueError as exc:
        raise InvalidEvent(f"body is not JSON: {exc.__class__.__name__}") from None
    if not isinstance(raw, dict):
        raise InvalidEvent("body is not a JSON object")
    name = type_name or raw.get("type")
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise InvalidEvent("unknown event type")
    if raw.get("schema_version", cls.schema_version) != cls.schema_version:
        raise InvalidEvent("unsupported schema version")
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        fields = ",".join(".".join(str(p) for p in err["loc"]) for err in exc.errors())
        raise InvalidEvent(f"invalid fields: {fields}") from None


@cache
def _envelope_suffix(cls: type[Event]) -> bytes:
    return b',"type":' + _dumps(cls.type) + b',"schema_version":' + _dumps(cls.schema_version) + b"}"


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _loads(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))
