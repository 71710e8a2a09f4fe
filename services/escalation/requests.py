"""What the NGO asks of a case (message, transfer, close), as the events the router carries out.

Pure: an escalation, the caller and the request in, the event out. The router owns cases, so the
NGO API never changes one itself; it checks what escalation's own record can tell (the case is
closed, the worker has no contact to reach, the case has no factory) and publishes the request.

A request's id is derived from the escalation, the kind of request and the client's
``Idempotency-Key``, or without one from the request's content: a retried request is the same event,
which the router applies once. So the same text sent twice without a key is one message; a client
that means two messages sends two keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from services.escalation.escalations import Escalation
from services.escalation.records import CaseRecord
from shared.contracts import CaseCloseRequested, CaseMessageRequested, CaseTransferRequested

_NAMESPACE = uuid.UUID("5d0c6a0e-8f7b-4b8e-b1c9-2f4e6a9d3c17")

Kind = Literal["message", "transfer", "close"]


class Refused(Exception):
    """What the case, as the record shows it, does not allow; the words say why (no worker data).

    ``code`` names the rule, so a page can say it in the reader's language (the API says the words).
    """

    def __init__(self, code: str, words: str) -> None:
        super().__init__(words)
        self.code = code


def request_id(escalation: Escalation, kind: Kind, key: str | None, content: str) -> uuid.UUID:
    """The request's id: from the client's key when given, else from what it asks."""
    part = f"key\x1f{key}" if key is not None else f"content\x1f{content}"
    return uuid.uuid5(_NAMESPACE, f"{escalation.id}\x1f{kind}\x1f{part}")


def _open_case(record: CaseRecord | None) -> CaseRecord:
    if record is None or record.state is None:
        raise Refused("unknown", "the case is not known here yet; try again shortly")
    if record.state.status == "closed":
        raise Refused("closed", "the case is closed")
    return record


def message(
    escalation: Escalation, record: CaseRecord | None, text: str, by: str, at: datetime, key: str | None
) -> CaseMessageRequested:
    """A message to the worker; refused when the case is closed or the worker has no contact."""
    known = _open_case(record)
    if known.reply_to is None or not known.reply_to.sealed_contact:
        raise Refused(
            "unreachable", "the worker cannot be reached: no contact, or it was withdrawn or never confirmed"
        )
    if known.messages_stopped:
        raise Refused("stopped", "the worker cannot be reached: they sent STOP and have not sent START since")
    return CaseMessageRequested(
        **_envelope(escalation, known.reference, "message", key, text, by, at), text=text
    )


def transfer(
    escalation: Escalation,
    record: CaseRecord | None,
    committee_id: str,
    by: str,
    at: datetime,
    key: str | None,
) -> CaseTransferRequested:
    """A transfer to a committee; refused for a closed case and for one with no factory."""
    known = _open_case(record)
    if known.factory_id is None:
        raise Refused("no_factory", "the case has no factory: no committee can take it")
    if known.state is not None and known.state.committee_id == committee_id:
        raise Refused("holder", "the committee holds the case already")
    return CaseTransferRequested(
        **_envelope(escalation, known.reference, "transfer", key, committee_id, by, at),
        committee_id=committee_id,
    )


def close(
    escalation: Escalation,
    record: CaseRecord | None,
    outcome: str,
    by: str,
    at: datetime,
    key: str | None,
    *,
    again: bool = False,
) -> CaseCloseRequested:
    """Closing the case with an outcome the worker is told.

    ``again``: the escalation is resolved with this very outcome, so the request is a retry, to be
    published again whatever the record shows (the case may be closed by it already).
    """
    if not again:
        _open_case(record)
    return CaseCloseRequested(
        **_envelope(escalation, escalation.reference, "close", key, outcome, by, at), outcome=outcome
    )


def _envelope(
    escalation: Escalation, reference: str, action: Kind, key: str | None, detail: str, by: str, at: datetime
) -> dict[str, Any]:
    """The fields every NGO request carries: its deterministic id, the case and the escalation."""
    return {
        "id": request_id(escalation, action, key, detail),
        "occurred_at": at,
        "correlation_id": _correlation(escalation),
        "case_id": escalation.case_id,
        "reference": reference,
        "escalation_id": escalation.id,
        "by": by,
        "at": at,
    }


def _correlation(escalation: Escalation) -> uuid.UUID:
    try:
        return uuid.UUID(escalation.case_id)
    except ValueError:
        return uuid.uuid5(_NAMESPACE, escalation.case_id)
