"""Derived event ids and the outbox's stored form of an event (pure).

Ids are uuid5 of the case id and what the event is about, so an event rebuilt after a crash or a
redelivery carries the same id and downstream consumers drop the duplicate. The namespaces are part
of the contract with the events already published: changing one would make every redelivered event
look new.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.contracts import Event, GrievanceReceived, MessageOutbound, OutboundPurpose, parse_event
from shared.store import to_ms

_NAMESPACE = uuid.UUID("b3c1f0a2-54de-4c3b-8e0f-2d6a9f7c1e55")
# Texts that belong to no case (help, STOP, a question which case) derive their ids from the message.
_REPLY_NAMESPACE = uuid.UUID("0c3f6a8e-2b1d-4f7a-9e55-7d1b2c3a4f60")


def event_id(case_id: str, *parts: str) -> uuid.UUID:
    """The id of an event about a case: the case id and the parts, joined by a unit separator."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join((case_id, *parts)))


def reply_to_sender(
    event: GrievanceReceived,
    purpose: OutboundPurpose,
    text: str,
    *,
    reference: str | None = None,
    case_id: str | None = None,
) -> MessageOutbound | None:
    """A text back to whoever sent ``event`` (None without a contact), id derived from the message."""
    if not event.sealed_contact:
        return None
    return MessageOutbound(
        id=uuid.uuid5(_REPLY_NAMESPACE, f"{event.grievance_id}:{purpose}"),
        occurred_at=to_ms(event.received_at),
        correlation_id=event.grievance_id,
        channel=event.channel,
        sealed_contact=event.sealed_contact,
        text=text,
        language=event.language,
        purpose=purpose,
        gateway_number=event.gateway_number,
        reference=reference,
        case_id=case_id,
    )


def outbox_entry(event: Event) -> dict[str, Any]:
    """How an event waits in a case's outbox: its id, type and the exact body it will be sent as."""
    return {"id": str(event.id), "type": event.type, "body": event.to_json().decode("utf-8")}


def outbox_event(entry: dict[str, Any]) -> Event:
    return parse_event(entry["body"].encode("utf-8"), entry["type"])
