"""Event contracts: envelope, routing keys, round trips and tolerant reading."""

from __future__ import annotations

import json
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.contracts import (
    EVENT_CLASSES,
    CaseAssigned,
    CaseCloseRequested,
    CaseEscalated,
    CaseMessageRequested,
    CaseTransferRequested,
    CaseUpdated,
    Event,
    GrievanceReceived,
    InvalidEvent,
    MessageDeliveryChanged,
    MessageOutbound,
    delivery_rank,
    gravest,
    parse_event,
)
from shared.ids import ALPHABET, find_reference, is_reference, reference_for

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
GID = uuid.uuid4()


def ngo_requests() -> list[Event]:
    """The NGO's three requests on a case, as escalation publishes them for the router."""
    common = {
        "correlation_id": GID,
        "case_id": str(GID),
        "reference": "ABCDE-FGHJK",
        "escalation_id": "0" * 32,
        "by": "token-1",
        "at": NOW,
    }
    return [
        CaseMessageRequested(**common, text="我们已收到"),
        CaseTransferRequested(**common, committee_id="gz-001-spt"),
        CaseCloseRequested(**common, outcome="已补发工资"),
    ]


def samples() -> list[Event]:
    return [
        GrievanceReceived(
            correlation_id=GID,
            grievance_id=GID,
            reference="ABCDE-FGHJK",
            channel="sms",
            provider="twilio",
            provider_message_id="SM" + "0" * 32,
            received_at=NOW,
            text="工资拖欠三个月",
            language="zh",
            factory_hint="+8610690000001",
            reporter_key="k" * 64,
            sealed_contact="sealed",
        ),
        CaseAssigned(
            correlation_id=GID,
            case_id=str(GID),
            reference="ABCDE-FGHJK",
            factory_id="GZ-001",
            committee_id="gz-001-spt",
            category="wages",
            severity="high",
            ack_due_at=NOW + timedelta(hours=24),
            resolve_due_at=NOW + timedelta(days=7),
            channel="sms",
            language="zh",
            text="工资拖欠三个月",
            created_at=NOW,
        ),
        CaseUpdated(
            correlation_id=GID,
            case_id=str(GID),
            reference="ABCDE-FGHJK",
            action="acknowledged",
            actor_role="committee",
            at=NOW,
            status="acknowledged",
        ),
        CaseEscalated(
            correlation_id=GID,
            case_id=str(GID),
            reference="ABCDE-FGHJK",
            escalation_id="e1",
            reason="critical",
            at=NOW,
        ),
        MessageOutbound(
            correlation_id=GID,
            channel="sms",
            sealed_contact="sealed",
            text="已收到",
            language="zh",
            purpose="ack",
        ),
        *ngo_requests(),
        MessageDeliveryChanged(
            correlation_id=GID,
            outbound_id=uuid.uuid4(),
            case_id=str(GID),
            reference="ABCDE-FGHJK",
            state="undelivered",
            error_code="30003",
            reason="unreachable",
            at=NOW,
        ),
    ]


def test_all_eleven_events_exist_with_versioned_routing_keys() -> None:
    assert {cls.event_type() for cls in EVENT_CLASSES} == {
        "grievance.received",
        "contact.withdrawn",
        "case.assigned",
        "case.updated",
        "case.escalated",
        "case.deadline_soon",
        "message.outbound",
        "message.delivery",
        "case.message_requested",
        "case.transfer_requested",
        "case.close_requested",
    }
    assert CaseTransferRequested.routing_key() == "case.transfer_requested.v1"
    assert GrievanceReceived.routing_key() == "grievance.received.v1"
    assert MessageOutbound.routing_key() == "message.outbound.v1"
    assert MessageDeliveryChanged.routing_key() == "message.delivery.v1"


def test_delivery_states_are_ranked_in_the_order_a_message_moves() -> None:
    order = ["sending", "waiting_for_worker", "sent", "delivered", "undelivered", "failed", "undeliverable"]
    assert sorted(order, key=delivery_rank) == order
    with pytest.raises(ValueError):
        delivery_rank("queued")  # a provider's word, not a delivery state


@pytest.mark.parametrize("code", ["The number +8613912345678 is unreachable", "", "$gt", "x" * 33])
def test_a_delivery_carries_a_code_never_the_providers_text(code: Any) -> None:
    raw = json.loads(samples()[-1].to_json())
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps({**raw, "error_code": code}).encode())


@pytest.mark.parametrize("reason", ["The number +8613912345678 is unreachable", "", "30003", "Opted_Out"])
def test_a_delivery_reason_is_one_of_a_closed_set(reason: str) -> None:
    raw = json.loads(samples()[-1].to_json())
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps({**raw, "reason": reason}).encode())
    # an older intake's announcement has none
    older = parse_event(json.dumps({k: v for k, v in raw.items() if k != "reason"}).encode())
    assert isinstance(older, MessageDeliveryChanged) and older.reason is None


@pytest.mark.parametrize("event", samples(), ids=lambda e: e.type)
def test_round_trip_through_json(event: Any) -> None:
    body = event.to_json()
    raw = json.loads(body)
    assert raw["type"] == event.type and raw["schema_version"] == 1
    assert parse_event(body) == event
    assert parse_event(body, event.type) == event


def test_events_are_frozen() -> None:
    event = samples()[0]
    assert isinstance(event, GrievanceReceived)
    with pytest.raises(ValueError):
        event.text = "changed"  # type: ignore[misc]  # frozen: the assignment is what is tested


def test_tolerant_reader_ignores_unknown_fields() -> None:
    raw = json.loads(samples()[2].to_json())
    raw["added_later"] = {"x": 1}
    assert isinstance(parse_event(json.dumps(raw).encode()), CaseUpdated)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"type": "no.such.event"}',
        b'{"type": "case.updated"}',
    ],
)
def test_malformed_payloads_are_invalid(body: bytes) -> None:
    with pytest.raises(InvalidEvent):
        parse_event(body)


def test_a_newer_schema_version_is_refused() -> None:
    raw = json.loads(samples()[2].to_json())
    raw["schema_version"] = 2
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps(raw).encode())


def test_naive_datetimes_and_bad_references_are_refused() -> None:
    raw = json.loads(samples()[2].to_json())
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps({**raw, "at": "2026-03-02T08:00:00"}).encode())
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps({**raw, "reference": "ABCDE-FGHJ0"}).encode())


def test_invalid_event_messages_name_fields_not_values() -> None:
    raw = json.loads(samples()[0].to_json())
    raw["text"] = ""
    with pytest.raises(InvalidEvent) as caught:
        parse_event(json.dumps(raw).encode())
    assert "text" in str(caught.value)


# A case.updated as the encoder before the discriminated union wrote it (type and version last), as
# it may still wait in a queue, a dead-letter queue or a case's outbox.
EARLIER_BODY = (
    b'{"id":"00000000-0000-4000-8000-000000000001","occurred_at":"2026-03-02T08:00:00Z",'
    b'"correlation_id":"00000000-0000-4000-8000-000000000002","case_id":"c1","reference":"ABCDE-FGHJK",'
    b'"action":"closed","actor_role":"system","at":"2026-03-02T08:00:00Z","status":"closed",'
    b'"committee_id":null,"category":null,"severity":null,"ack_due_at":null,"resolve_due_at":null,'
    b'"note":"rerouted","sealed_contact":null,"type":"case.updated","schema_version":1}'
)


def test_a_body_of_the_earlier_encoder_decodes_and_keeps_its_keys() -> None:
    event = parse_event(EARLIER_BODY, "case.updated")
    assert isinstance(event, CaseUpdated) and event.case_id == "c1" and event.note == "rerouted"
    assert event.closure == "rerouted"  # what the note said, now a typed field
    assert parse_event(EARLIER_BODY) == event
    assert set(json.loads(event.to_json())) >= set(json.loads(EARLIER_BODY))


@pytest.mark.parametrize("event", samples(), ids=lambda e: e.type)
def test_type_and_version_are_fields_of_one_value_each(event: Any) -> None:
    cls = type(event)
    assert event.type == cls.event_type() and cls.routing_key() == f"{event.type}.v1"
    with pytest.raises(ValueError):
        cls.model_validate({**json.loads(event.to_json()), "type": "case.other"})


def test_a_body_without_type_or_version_is_read_by_the_message_type_as_v1() -> None:
    event = samples()[2]
    raw = json.loads(event.to_json())
    del raw["type"], raw["schema_version"]
    body = json.dumps(raw).encode()
    assert parse_event(body, "case.updated") == event
    with pytest.raises(InvalidEvent, match=r"^unknown event type$"):
        parse_event(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON: JSONDecodeError"),
        (b"\xff\xfe", "body is not JSON: UnicodeDecodeError"),
        (b"[]", "body is not a JSON object"),
        (b'{"type": "no.such.event"}', "unknown event type"),
        (b'{"type": "case.updated", "schema_version": 2}', "unsupported schema version"),
        (b'{"type": "case.escalated", "correlation_id": "x"}', "invalid fields: correlation_id,case_id,"),
    ],
)
def test_refusals_say_why_in_the_words_the_dead_letter_tools_show(body: Any, reason: Any) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    assert str(caught.value).startswith(reason)


@pytest.mark.parametrize(
    ("changes", "typed"),
    [
        (
            {"action": "closed", "status": "closed", "note": "resolved_unconfirmed"},
            {"closure": "unconfirmed"},
        ),
        ({"action": "closed", "status": "closed", "note": "rerouted", "closure": None}, {"closure": None}),
        (
            {"action": "recused", "status": "unassigned", "note": "unroutable"},
            {"unassigned_reason": "unroutable"},
        ),
        ({"action": "recused", "status": "assigned", "committee_id": "b", "note": "reassigned"}, {}),
        ({"action": "recategorised", "status": "unassigned", "note": "retaliation"}, {}),
    ],
)
def test_an_earlier_update_is_read_with_the_typed_fields_its_note_meant(changes: Any, typed: Any) -> None:
    raw = {
        k: v
        for k, v in json.loads(samples()[2].to_json()).items()
        if k not in ("closure", "unassigned_reason")
    }
    event = parse_event(json.dumps({**raw, **changes}).encode())
    assert isinstance(event, CaseUpdated)
    assert (event.closure, event.unassigned_reason) == (typed.get("closure"), typed.get("unassigned_reason"))


def test_an_update_has_a_status_of_a_case_not_a_free_word() -> None:
    raw = json.loads(samples()[2].to_json())
    with pytest.raises(InvalidEvent, match="invalid fields: status"):
        parse_event(json.dumps({**raw, "status": "replied"}).encode())


def test_the_gravest_severity_wins_by_rank_not_by_name() -> None:
    assert gravest("normal") == "normal"
    assert gravest("normal", "critical", "high") == "critical"
    assert gravest("high", "normal") == "high"  # "high" < "normal" as words, not as severities


def test_one_reference_pattern_admits_exactly_the_alphabet() -> None:
    admitted = [c for c in string.ascii_uppercase + string.digits if is_reference(f"{c * 5}-{c * 5}")]
    assert sorted(admitted) == sorted(ALPHABET)
    reference = reference_for(GID)
    assert is_reference(reference) and find_reference(f"my case {reference.lower()}") == reference
    event = samples()[2]
    with pytest.raises(ValueError):
        event.model_validate({**event.model_dump(), "reference": reference.lower()})
