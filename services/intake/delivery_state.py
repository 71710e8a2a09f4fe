"""Where a message to a worker stands, read from intake's own record of it (pure).

The sender's record (``outbound_messages``, :mod:`services.intake.store`) holds intake's send state
and the provider's reports per part. :func:`delivery_of` reduces both to one of the contract's
delivery states, which is what intake announces (``message.delivery``) and what a committee sees.

The reduction only ever moves forward in :data:`shared.contracts.DELIVERY_STATES` as the record
changes (the send state moves claimed -> sent | failed, and each part's report only advances), so
whatever order the router gets the announcements in, keeping the highest one is keeping the latest.
The one step back, a waiting WeChat message claimed again (``sending`` after ``waiting_for_worker``),
is a step the router keeps no record of, which is what it should show until the message is sent:

- claimed or released: ``sending``;
- no contact or channel: ``undeliverable`` (with the reason as its code);
- waiting (a WeChat message outside the window, with no notice to send): ``waiting_for_worker``;
- a permanent error: ``failed`` (the provider's code, or intake's own such as ``unseal_failed``);
- a Chinese SMS send without an answer (``unconfirmed``): ``sent`` with the code ``unconfirmed``
  until its delivery report reconciles it;
- every part handed to the provider: ``sent``, then from the reports of all parts: ``failed`` if
  any part failed, else ``undelivered`` if any part was not delivered, else ``delivered`` once every
  part was, else still ``sent``.

A message that did not arrive carries its reason too (:mod:`services.intake.delivery_reasons`), read
from the code as recorded, so a provider's code the event cannot carry (``isv.X``) still says why.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.intake.delivery_reasons import reason_of
from shared.contracts import DeliveryReason, DeliveryState, MessageDeliveryChanged

# Provider reports, as delivery states; the rest (queued, sending, accepted, ...) say nothing new.
_REPORTED: dict[str, DeliveryState] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
_CODE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_NAMESPACE = uuid.UUID("0b5f7f8e-3c1d-4d5a-9a7e-6f2c1e4b8d90")


@dataclass(frozen=True)
class Delivery:
    state: DeliveryState
    at: datetime
    error_code: str | None = None
    reason: DeliveryReason | None = None


def delivery_of(record: Mapping[str, Any]) -> Delivery | None:
    """The delivery state of one ``outbound_messages`` record; None for a record it cannot read."""
    status = record.get("status")
    created = record.get("created_at")
    provider = record.get("provider")
    if status == "undeliverable":
        return _delivery("undeliverable", created, record.get("reason"))
    if status == "waiting":
        return _delivery("waiting_for_worker", record.get("waiting_since") or created)
    if status in ("claimed", "released"):
        return _delivery("sending", record.get("claimed_at") or created)
    if status == "unconfirmed":  # handed over as far as we know; the delivery report will tell
        return _delivery("sent", record.get("finished_at"), "unconfirmed")
    if status == "failed":
        code = record.get("error_code") or record.get("error")
        return _delivery("failed", record.get("finished_at"), code, provider)
    if status != "sent":
        return None
    reports = record.get("delivery") or {}
    parts = [_REPORTED.get(reports.get(sid, "")) for sid in (record.get("sent_parts") or {}).values()]
    reported_at = record.get("delivery_updated_at")
    code = record.get("delivery_error_code")
    if "failed" in parts:
        return _delivery("failed", reported_at, code, provider)
    if "undelivered" in parts:
        return _delivery("undelivered", reported_at, code, provider)
    if parts and all(part == "delivered" for part in parts):
        return _delivery("delivered", reported_at)
    return _delivery("sent", record.get("finished_at"))


def _delivery(state: DeliveryState, at: Any, code: Any = None, provider: Any = None) -> Delivery | None:
    if not isinstance(at, datetime):
        return None
    carried = str(code) if code is not None and _CODE.match(str(code)) else None
    return Delivery(state, at, carried, reason_of(state, code, provider))


def announcement(record: Mapping[str, Any], delivery: Delivery) -> MessageDeliveryChanged:
    """The event that tells the router; its id is derived from the outbound id and the state."""
    outbound_id = uuid.UUID(record["event_id"])
    return MessageDeliveryChanged(
        id=uuid.uuid5(_NAMESPACE, f"{outbound_id}:{delivery.state}"),
        occurred_at=delivery.at,
        correlation_id=uuid.UUID(record["correlation_id"]),
        outbound_id=outbound_id,
        case_id=record.get("case_id"),
        reference=record.get("reference"),
        state=delivery.state,
        error_code=delivery.error_code,
        reason=delivery.reason,
        at=delivery.at,
    )
