"""Dead letters explained: described without a worker's data, checked before a replay, listed by id."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from shared.contracts import GrievanceReceived, MessageOutbound
from shared.deadletters import describe, from_headers, letter_id, refusal
from shared.privacy import Keys, reporter_key, seal
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE, sensitive

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CHINESE = sensitive("宿舍的门锁坏了三个星期，没有人来修")
ENGLISH = sensitive("My supervisor shouts at us every morning and takes our phones")
TOKEN = "gvt_" + "A1b2" * 10


def grievance(keys: Keys, text: str = CHINESE) -> GrievanceReceived:
    gid = uuid.uuid4()
    return GrievanceReceived(
        correlation_id=gid,
        grievance_id=gid,
        reference="ABCDE-FGHJK",
        channel="sms",
        provider="twilio",
        provider_message_id="SM" + gid.hex,
        received_at=NOW,
        text=text,
        language="zh",
        factory_hint="+8610690000001",
        gateway_number="+8610690000001",
        reporter_key=reporter_key(keys, WORKER_PHONE),
        sealed_contact=seal(keys, WORKER_PHONE),
        pin_hash="9f" * 32,
    )


def assert_nothing_private(shown: str, *values: str) -> None:
    for value in (WORKER_PHONE, WORKER_PHONE[-11:], "13912345678", TOKEN, *values):
        assert value not in shown, value
    assert "gAAAA" not in shown  # a Fernet token: a sealed contact


@pytest.mark.parametrize("text", [CHINESE, ENGLISH])
def test_a_grievance_is_shown_by_its_shape_never_its_text_contact_or_keys(keys: Keys, text: str) -> None:
    event = grievance(keys, text)
    described = describe(event.to_json())
    shown = json.dumps(described, ensure_ascii=False)
    assert_nothing_private(
        shown, text, str(event.reporter_key), str(event.pin_hash), str(event.sealed_contact)
    )
    assert described["text"] == f"<redacted: string, {len(text)} characters>"
    assert described["sealed_contact"].startswith("<redacted: string")
    assert described["reporter_key"].startswith("<redacted: string, 64")
    assert described["pin_hash"].startswith("<redacted")
    # what an operator needs to see is there
    assert described["type"] == "grievance.received" and described["reference"] == "ABCDE-FGHJK"
    assert described["grievance_id"] == str(event.grievance_id) and described["anonymous"] is True


def test_a_malformed_body_keeps_its_shape_and_loses_what_is_private() -> None:
    body = {
        "type": "grievance.received",
        "who": {"mobile": "+86 139 1234 5678", "ids": [13912345678, 7, "ok"], "access_token": TOKEN},
        "message": ENGLISH,
        "remark": "call 139-1234-5678",
        "nested": [[[[[[[[[["deep"]]]]]]]]]],
        "many": list(range(25)),
        "contact_email": "worker@example.org",
    }
    described = describe(json.dumps(body).encode())
    shown = json.dumps(described, ensure_ascii=False)
    assert_nothing_private(shown, ENGLISH, "worker@example.org", "1234 5678", "1234-5678")
    assert described["who"]["ids"][1:] == [7, "ok"] and described["who"]["ids"][0].startswith("<redacted")
    assert described["message"] == f"<string, {len(ENGLISH)} characters>"
    assert described["many"][-1] == "<5 more>" and len(described["many"]) == 21
    assert "<list: 1 items>" in shown


@pytest.mark.parametrize(
    ("body", "shown"),
    [(b"{broken " + WORKER_PHONE.encode(), "<not JSON: 22 bytes>"), (b"\xff\xfe", "<not UTF-8: 2 bytes>")],
)
def test_a_body_that_is_not_json_is_only_measured(body: bytes, shown: str) -> None:
    assert describe(body) == shown


def test_a_replay_would_be_refused_for_what_the_consumer_rejects_again(keys: Keys) -> None:
    good = grievance(keys)
    assert refusal("router.grievances", good.to_json(), "grievance.received") is None
    assert refusal("router.grievances", good.to_json(), None) is None  # the type is in the body too
    assert (
        refusal("router.grievances", b"{broken", "grievance.received") == "body is not JSON: JSONDecodeError"
    )
    raw = json.loads(good.to_json())
    raw["reference"] = "nope"
    assert refusal("router.grievances", json.dumps(raw).encode(), None) == "invalid fields: reference"
    outbound = MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=None,
        text="hi",
        language="en",
        purpose="ack",
    )
    assert refusal("router.grievances", outbound.to_json(), "message.outbound") == (
        "message.outbound does not belong on router.grievances"
    )
    assert refusal("intake.outbound", outbound.to_json(), "message.outbound") is None


def test_a_dead_letter_is_listed_by_the_consumers_id_else_the_message_id_else_a_digest() -> None:
    assert letter_id("abc", "m-1", b"x") == "abc"
    assert letter_id(None, "m-1", b"x") == "m-1"
    assert letter_id(None, None, b"x") == letter_id(None, None, b"x") != letter_id(None, None, b"y")
    ours = from_headers(
        {
            "x-grievance-reason": "invalid",
            "x-grievance-error": "body is not JSON: JSONDecodeError",
            "x-grievance-dead-letter-id": "0123456789ab",
            "x-grievance-dead-lettered-at": "2026-03-02T08:00:00+00:00",
        },
        message_id="m-1",
        type_name="grievance.received",
        correlation_id=None,
        body=b"{broken",
    )
    assert (ours.id, ours.reason, ours.error, ours.size) == (
        "0123456789ab", "invalid", "body is not JSON: JSONDecodeError", 7
    )  # fmt: skip
    broker = from_headers(
        {"x-death": [{"reason": b"delivery_limit", "time": NOW, "queue": "q"}]},
        message_id="m-2",
        type_name="",
        correlation_id="c",
        body=b"{}",
    )
    assert (broker.id, broker.reason, broker.error, broker.type) == ("m-2", "delivery_limit", None, None)
    assert broker.dead_lettered_at == NOW.isoformat()


def test_the_english_phone_of_the_fakes_is_scrubbed_too() -> None:
    shown = json.dumps(describe(json.dumps({"sender": ENGLISH_WORKER_PHONE}).encode()))
    assert ENGLISH_WORKER_PHONE not in shown and "7700" not in shown
