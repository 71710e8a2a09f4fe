"""The events that cross service boundaries (design section 4).

Every event is a frozen pydantic model with the same envelope. ``type`` and ``schema_version`` are
fields with one literal value each, so the body says what it is and a decoder needs no table: one
discriminated union on ``type`` (:data:`AnyEvent`) decodes every body. Consumers are tolerant
readers: unknown fields are ignored, so a producer may add optional fields without breaking anyone;
a breaking change is a new ``schema_version`` and so a new routing key (``"{type}.v{version}"``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from shared.ids import REFERENCE_REGEX

Channel = Literal["sms", "web", "wechat"]
Language = Literal["zh", "en"]
Severity = Literal["critical", "high", "normal"]
# From the least grave to the gravest: severities are compared by this rank and nothing else.
SEVERITY_ORDER: tuple[Severity, ...] = ("normal", "high", "critical")
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
CATEGORIES: tuple[str, ...] = get_args(Category)
UnassignedReason = Literal["unroutable", "conflict_of_interest", "retaliation"]
UNASSIGNED_REASONS: tuple[str, ...] = get_args(UnassignedReason)
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
    # The NGO acting on a case it monitors: a message to the worker, a transfer to a committee.
    "ngo_messaged",
    "transferred",
    # The worker sent STOP, or START again: told per case, so escalation knows whom it may not text.
    "messages_stopped",
    "messages_resumed",
]
ActorRole = Literal["committee", "worker", "ngo", "system"]
# Where a case stands after an update, and, once closed by the system, how (``case.updated``).
CaseStatus = Literal["assigned", "unassigned", "acknowledged", "resolved", "reopened", "closed"]
Closure = Literal["confirmed", "unconfirmed", "rerouted", "ngo_outcome"]
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
NAME_RULES: tuple[NameRule, ...] = get_args(NameRule)
OutboundPurpose = Literal[
    "ack",
    "status",
    "committee_reply",
    "resolution_check",
    "escalation_notice",
    "help",
    "question",
    "contact_confirmation",
    "ngo_message",
    "ngo_outcome",
    "sign_in_code",
]
# The one-time codes a message may carry for a Chinese SMS verification template to send: a sign-in
# code of the worker page, a web-form number's confirmation code.
CODE_PURPOSES: tuple[OutboundPurpose, ...] = ("contact_confirmation", "sign_in_code")
# How long a sign-in code opens the worker page: the router checks it, and intake drops a code that
# waited longer for a WeChat worker's next message (it would open nothing).
SIGN_IN_CODE_LIFETIME = timedelta(minutes=10)

# Where a message to a worker stands, in the order it moves: a state never gives way to an earlier
# one (``delivery_rank``). Once sent, a message is delivered, or not (undelivered: the carrier gave up;
# failed: the provider or intake did); a message no channel can carry is undeliverable from the start.
# A WeChat message outside the 48 h window with no notice to send waits for the worker's next message
# (waiting_for_worker), then is sent: after sending, before sent, so the sending of its second
# attempt never hides the wait.
DeliveryState = Literal[
    "sending", "waiting_for_worker", "sent", "delivered", "undelivered", "failed", "undeliverable"
]
DELIVERY_STATES: tuple[str, ...] = get_args(DeliveryState)
# Why a message did not reach the worker (failed, undelivered, undeliverable), in words a committee
# can act on; intake reads it from its own codes and the provider's (services.intake.delivery_reasons).
# A closed set, never the provider's text, which may quote the number: a new reason is added here
# and shown by the router before intake announces it.
DeliveryReason = Literal[
    "channel_unconfigured",  # the channel (SMS, WeChat) is not set up on this system
    "no_contact",  # the worker left no way to reach them
    "contact_withdrawn",  # the worker withdrew the contact (unfollowed the account)
    "opted_out",  # the worker's number or account refuses messages (STOP, blocklist, unsubscribed)
    "number_invalid",  # the number or account is not one the provider can send to
    "content_refused",  # the provider or carrier refused the text for its content
    "provider_refused",  # the provider refused the message for another reason
    "unreachable",  # the carrier could not hand it to the phone (off, out of reach)
    "expired",  # a one-time code that waited for the worker past its life
    "system_error",  # this system could not prepare the message (an operator looks)
]
DELIVERY_REASONS: tuple[str, ...] = get_args(DeliveryReason)

# A reference is what a worker types back: ten characters from an alphabet without 0/O, 1/I/L.
Reference = Annotated[str, Field(pattern=REFERENCE_REGEX)]
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

    # Each event narrows both to its one literal value; a body without ``schema_version`` is read as v1.
    type: str
    schema_version: int = 1
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    # The grievance this event descends from; it ties a case's whole history together in the logs.
    correlation_id: uuid.UUID

    @classmethod
    def event_type(cls) -> str:
        """The event's ``type``, read from the class (the literal's one value)."""
        return str(_literal(cls, "type"))

    @classmethod
    def routing_key(cls) -> str:
        return _routing_key(cls)

    def to_json(self) -> bytes:
        """The message body: every field, ``type`` and ``schema_version`` among them, as compact UTF-8
        JSON (pydantic's serializer: the same values as ``model_dump(mode="json")``)."""
        return self.__pydantic_serializer__.to_json(self)


class GrievanceReceived(Event):
    """A worker's grievance, verified and normalised at the edge; the contact is already sealed."""

    type: Literal["grievance.received"] = "grievance.received"
    schema_version: Literal[1] = 1

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


def gravest(first: Severity, *others: Severity) -> Severity:
    """The gravest of the severities given (by :data:`SEVERITY_ORDER`)."""
    return max((first, *others), key=SEVERITY_ORDER.index)


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

    type: Literal["contact.withdrawn"] = "contact.withdrawn"
    schema_version: Literal[1] = 1

    channel: Channel
    provider: str
    reporter_key: str = Field(min_length=1)
    at: AwareDatetime


class CaseAssigned(Event):
    """The router created a case; `committee_id` is null when no committee may handle it."""

    type: Literal["case.assigned"] = "case.assigned"
    schema_version: Literal[1] = 1

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

    type: Literal["case.updated"] = "case.updated"
    schema_version: Literal[1] = 1

    case_id: str
    reference: Reference
    action: CaseAction
    actor_role: ActorRole
    at: AwareDatetime
    status: CaseStatus
    committee_id: str | None = None
    # Why no committee holds the case (with ``committee_id`` null): what the NGO is to look at.
    unassigned_reason: UnassignedReason | None = None
    # With ``closed``: how the system closed it (``rerouted``: a routed case of the worker replaced it).
    closure: Closure | None = None
    category: Category | None = None
    severity: Severity | None = None
    ack_due_at: AwareDatetime | None = None
    resolve_due_at: AwareDatetime | None = None
    # The router's word for the timeline (a recusal's cause, ...), for people: no consumer branches
    # on it; ``unassigned_reason`` and ``closure`` say what it used to say to them.
    note: str | None = None
    # Only with ``contact_confirmed``: the worker proved the web form's number, so escalation may
    # text it now (``case.assigned`` never carried an unproven contact).
    sealed_contact: str | None = None
    # Only with ``recused``: the members the worker's messages may name, in the committee the case
    # left and in those passed over for the next one (for the NGO only).
    conflicts: tuple[NamedMember, ...] = ()

    @model_validator(mode="after")
    def _typed_from_note(self) -> CaseUpdated:
        """An update of a producer older than ``closure`` and ``unassigned_reason`` said them in
        ``note`` (``rerouted``, ``resolved_unconfirmed``; a recusal's reason): read it so.

        After validation, so an update of this version costs one look at ``note``; the frozen model
        is completed in place while it is being built, before anyone holds it.
        """
        note = self.note
        if note is None:
            return self
        given = self.model_fields_set
        if self.action == "closed" and "closure" not in given and note in _CLOSURE_NOTES:
            object.__setattr__(self, "closure", _CLOSURE_NOTES[note])
        leaving = self.action == "recused" and self.committee_id is None
        if leaving and "unassigned_reason" not in given and note in UNASSIGNED_REASONS:
            object.__setattr__(self, "unassigned_reason", note)
        return self


# The notes by which updates before ``CaseUpdated.closure`` told how the system closed a case.
_CLOSURE_NOTES: dict[str, Closure] = {"rerouted": "rerouted", "resolved_unconfirmed": "unconfirmed"}


class CaseEscalated(Event):
    """An escalation was opened for the NGO."""

    type: Literal["case.escalated"] = "case.escalated"
    schema_version: Literal[1] = 1

    case_id: str
    reference: Reference
    escalation_id: str
    reason: EscalationReason
    level: Literal["ngo"] = "ngo"
    factory_id: str | None = None
    at: AwareDatetime


class CaseDeadlineSoon(Event):
    """A committee's deadline on a case draws near (escalation's clocks tell it once per deadline).

    ``due_at`` is the deadline; ``deadline`` says which. The id is derived from the case, the
    deadline and its time, so replicas that both find it publish one event. Only the committee's
    notifier reads it: it carries what a notification may say and nothing of the worker.
    """

    type: Literal["case.deadline_soon"] = "case.deadline_soon"
    schema_version: Literal[1] = 1

    case_id: str
    reference: Reference
    committee_id: str
    category: Category
    deadline: Literal["acknowledge"] = "acknowledge"
    due_at: AwareDatetime


class MessageOutbound(Event):
    """A text for a worker; only intake's sender unseals the contact and delivers it."""

    type: Literal["message.outbound"] = "message.outbound"
    schema_version: Literal[1] = 1

    channel: Channel
    sealed_contact: str | None
    text: str = Field(min_length=1)
    language: Language
    reference: Reference | None = None
    case_id: str | None = None
    purpose: OutboundPurpose
    gateway_number: str | None = None
    # The six digits of a one-time code the text carries (a sign-in code, a confirmation code), for a
    # channel that sends them in an approved template of its own (Chinese SMS) instead of the text.
    # A secret like the text: never logged, never shown to a committee or the NGO.
    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")] | None = None


class MessageDeliveryChanged(Event):
    """Intake's sender moved a ``message.outbound`` on: sending, sent, delivered, or why not.

    ``outbound_id`` is the id of the ``message.outbound`` event. ``error_code`` is a code (the
    provider's, or intake's own such as ``no_contact``), never the provider's message text, which
    may quote the number; ``reason`` is what it means for the committee, from a closed set (absent
    from an older intake's announcements, and for a message on its way). The id is derived from the
    outbound id and the state, so announcing one state twice publishes the same event.
    """

    type: Literal["message.delivery"] = "message.delivery"
    schema_version: Literal[1] = 1

    outbound_id: uuid.UUID
    case_id: str | None = None
    reference: Reference | None = None
    state: DeliveryState
    error_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")] | None = None
    reason: DeliveryReason | None = None
    at: AwareDatetime


class _NgoRequest(Event):
    """What the NGO asks of a case it monitors; the router, which owns cases, carries it out.

    Escalation publishes it from the NGO API; the id is derived from the escalation and the
    request (the client's idempotency key, or the request's content), so a retried request is one
    request. The router applies each once (the id is the action id in the case's timeline) and
    refuses, with a log line and nothing changed, what the case does not allow by then.
    """

    case_id: str
    reference: Reference
    escalation_id: str
    # The NGO token's id (never the token): who asked, for the case's timeline.
    by: str
    at: AwareDatetime


class CaseMessageRequested(_NgoRequest):
    """The NGO writes to the worker: relayed like a committee reply, marked as the monitor's."""

    type: Literal["case.message_requested"] = "case.message_requested"
    schema_version: Literal[1] = 1

    text: str = Field(min_length=1, max_length=1600)


class CaseTransferRequested(_NgoRequest):
    """The NGO hands the case to a committee of its factory (checked by the router's rules)."""

    type: Literal["case.transfer_requested"] = "case.transfer_requested"
    schema_version: Literal[1] = 1

    committee_id: str


class CaseCloseRequested(_NgoRequest):
    """The NGO closes the case with an outcome the worker is told."""

    type: Literal["case.close_requested"] = "case.close_requested"
    schema_version: Literal[1] = 1

    outcome: str = Field(min_length=1, max_length=1000)


def delivery_rank(state: str) -> int:
    """The position of a delivery state in :data:`DELIVERY_STATES`; a higher rank supersedes a lower."""
    return DELIVERY_STATES.index(state)


# Every event this version knows, told apart by ``type``. A new schema version of an event is a new
# class (its own routing key) that joins the union beside the old one while both are in flight.
AnyEvent = Annotated[
    GrievanceReceived
    | ContactWithdrawn
    | CaseAssigned
    | CaseUpdated
    | CaseEscalated
    | CaseDeadlineSoon
    | MessageOutbound
    | MessageDeliveryChanged
    | CaseMessageRequested
    | CaseTransferRequested
    | CaseCloseRequested,
    Field(discriminator="type"),
]
_EVENTS: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)
EVENT_CLASSES: tuple[type[Event], ...] = get_args(get_args(AnyEvent)[0])


class InvalidEvent(ValueError):
    """A payload that no retry can fix: it belongs in the dead-letter queue."""


def parse_event(body: bytes, type_name: str | None = None) -> Event:
    """Decode an event; raise :class:`InvalidEvent` for anything malformed or unknown.

    The body's own ``type`` decides. ``type_name`` (the message's AMQP ``type``) stands in only for
    a body without one, as the decoder before the union read such a body.
    """
    try:
        event: Event = _EVENTS.validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if type_name and errors[0]["type"] == "union_tag_not_found":
            return _parse_as(body, type_name)
        raise _invalid(errors, body) from None
    return event


def _parse_as(body: bytes, type_name: str) -> Event:
    """A JSON object without ``type`` decoded as the event the message's properties name."""
    raw = _loads(body)
    try:
        event: Event = _EVENTS.validate_python({**raw, "type": type_name})
    except ValidationError as exc:
        raise _invalid(
            exc.errors(include_url=False, include_context=False, include_input=False), body
        ) from None
    return event


def _invalid(errors: list[ErrorDetails], body: bytes) -> InvalidEvent:
    """Why a body is refused, in the words the dead-letter tools show: field names, never values."""
    kind = errors[0]["type"]
    if kind == "json_invalid":
        try:
            _loads(body)
        except ValueError as exc:
            return InvalidEvent(f"body is not JSON: {exc.__class__.__name__}")
        return InvalidEvent("body is not JSON")
    if kind == "dict_type" and not errors[0]["loc"]:
        return InvalidEvent("body is not a JSON object")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return InvalidEvent("unknown event type")
    # Each location starts with the union's tag (the event type); the field follows.
    if any(err["loc"][1:] == ("schema_version",) for err in errors):
        return InvalidEvent("unsupported schema version")
    fields = ",".join(".".join(str(p) for p in err["loc"][1:]) for err in errors)
    return InvalidEvent(f"invalid fields: {fields}")


def _literal(cls: type[Event], name: str) -> Any:
    return cls.model_fields[name].default


@cache
def _routing_key(cls: type[Event]) -> str:
    return f"{_literal(cls, 'type')}.v{_literal(cls, 'schema_version')}"


def _loads(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))
