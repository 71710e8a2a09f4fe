"""Intake's reduction of its send record to one delivery state, and that it only moves forward."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.intake.delivery_state import announcement, delivery_of
from shared.contracts import delivery_rank

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SIDS = ("SM" + "1" * 32, "SM" + "2" * 32)


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
        "case_id": "c1",
        "reference": "ABCDE-FGHJK",
        "created_at": T0,
        "claimed_at": T0,
    }
    return {**base, **fields}


def sent(*reports: str | None, **fields: Any) -> dict[str, Any]:
    parts = {str(i): sid for i, sid in enumerate(SIDS[: len(reports)])}
    delivery = {sid: status for sid, status in zip(SIDS, reports, strict=False) if status}
    return record(
        status="sent",
        sent_parts=parts,
        delivery=delivery,
        finished_at=T0 + timedelta(seconds=1),
        delivery_updated_at=T0 + timedelta(seconds=5) if delivery else None,
        **fields,
    )


@pytest.mark.parametrize(
    ("document", "state", "code"),
    [
        (record(status="claimed"), "sending", None),
        (record(status="released", last_error="TimeoutError"), "sending", None),
        (record(status="undeliverable", reason="no_contact"), "undeliverable", "no_contact"),
        (record(status="failed", error_code="21610", finished_at=T0), "failed", "21610"),
        (record(status="failed", error="unseal_failed", finished_at=T0), "failed", "unseal_failed"),
        (sent(None), "sent", None),
        (sent("queued"), "sent", None),
        (sent("delivered"), "delivered", None),
        (sent("read"), "delivered", None),
        (sent("undelivered", delivery_error_code="30003"), "undelivered", "30003"),
        (sent("canceled"), "failed", None),
        # a long text goes in two parts: delivered only once both are
        (sent("delivered", None), "sent", None),
        (sent("delivered", "delivered"), "delivered", None),
        (sent("delivered", "undelivered"), "undelivered", None),
        (sent("undelivered", "failed"), "failed", None),
    ],
)
def test_a_record_reads_as_one_delivery_state(document: dict[str, Any], state: str, code: str | None) -> None:
    delivery = delivery_of(document)
    assert delivery is not None and (delivery.state, delivery.error_code) == (state, code)


def test_a_code_that_could_be_text_is_dropped() -> None:
    delivery = delivery_of(record(status="failed", error_code="call +86 139 1234 5678", finished_at=T0))
    assert delivery is not None and (delivery.state, delivery.error_code) == ("failed", None)


def test_a_record_it_cannot_read_has_no_state() -> None:
    assert delivery_of(record(status="something_new")) is None
    assert delivery_of({"status": "sent"}) is None  # no time to say when


def test_the_state_only_moves_forward_whatever_order_the_reports_of_two_parts_take() -> None:
    """Each part's report only advances (intake's store keeps the later stage), so every path of
    the record through time gives states of rising rank: the router may keep the highest."""
    stages = [None, "queued", "sent", "delivered"]
    finals = ["delivered", "undelivered", "failed"]
    paths = [[*stages[:k], final] for k in range(1, 4) for final in finals] + [stages]
    for first, second in itertools.product(paths, repeat=2):
        # interleave the two parts' paths in every order
        for order in set(itertools.permutations([0] * (len(first) - 1) + [1] * (len(second) - 1))):
            progress = [0, 0]
            ranks = [delivery_rank(delivery_of(record(status="claimed")).state)]  # type: ignore[union-attr]
            for part in order:
                progress[part] += 1
                reports = (first[progress[0]], second[progress[1]])
                delivery = delivery_of(sent(*reports))
                assert delivery is not None
                ranks.append(delivery_rank(delivery.state))
            assert ranks == sorted(ranks), (first, second, order)


def test_the_announcement_has_one_id_per_message_and_state() -> None:
    document = sent("delivered")
    delivery = delivery_of(document)
    assert delivery is not None
    event = announcement(document, delivery)
    again = announcement(dict(document), delivery)
    assert event == again and event.outbound_id == uuid.UUID(document["event_id"])
    assert event.at == T0 + timedelta(seconds=5) and event.case_id == "c1"
    other = delivery_of(sent("undelivered"))
    assert other is not None and announcement(document, other).id != event.id


def failed(code: str | None, provider: str | None = None, **fields: Any) -> dict[str, Any]:
    return record(status="failed", error_code=code, provider=provider, finished_at=T0, **fields)


def undeliverable(reason: str, provider: str | None = None) -> dict[str, Any]:
    return record(status="undeliverable", reason=reason, provider=provider)


@pytest.mark.parametrize(
    ("document", "state", "reason"),
    [
        # intake's own codes, whichever provider
        (undeliverable("channel_unconfigured"), "undeliverable", "channel_unconfigured"),
        (undeliverable("unsupported_channel"), "undeliverable", "channel_unconfigured"),
        (undeliverable("no_contact"), "undeliverable", "no_contact"),
        (undeliverable("contact_withdrawn", "wechat"), "undeliverable", "contact_withdrawn"),
        (undeliverable("expired", "wechat"), "undeliverable", "expired"),
        (undeliverable("no_sms_template", "aliyun"), "undeliverable", "channel_unconfigured"),
        (undeliverable("no_case_code", "tencent"), "undeliverable", "system_error"),
        (undeliverable("something_new"), "undeliverable", None),
        (failed(None, error="unseal_failed"), "failed", "system_error"),
        (failed(None, "twilio", error="no_sender_number"), "failed", "channel_unconfigured"),
        (failed("unsupported_address", "tencent"), "failed", "number_invalid"),
        # the providers' codes, read with the provider that gave them
        (failed("21610", "twilio"), "failed", "opted_out"),
        (failed("21211", "twilio"), "failed", "number_invalid"),
        (failed("43004", "wechat"), "failed", "opted_out"),
        (failed("40003", "wechat"), "failed", "number_invalid"),
        (failed("21610", "wechat"), "failed", "provider_refused"),
        (failed("isv.MOBILE_NUMBER_ILLEGAL", "aliyun"), "failed", "number_invalid"),
        (failed("isv.SMS_CONTENT_ILLEGAL", "aliyun"), "failed", "content_refused"),
        (failed("FailedOperation.PhoneNumberInBlacklist", "tencent"), "failed", "opted_out"),
        (failed("20003", "twilio"), "failed", "provider_refused"),
        (failed(None), "failed", "provider_refused"),
        (sent("undelivered", delivery_error_code="30003", provider="twilio"), "undelivered", "unreachable"),
        (
            sent("undelivered", delivery_error_code="30005", provider="twilio"),
            "undelivered",
            "number_invalid",
        ),
        (sent("undelivered", delivery_error_code="MK_0012", provider="aliyun"), "undelivered", "unreachable"),
        (sent("canceled", provider="twilio"), "failed", "provider_refused"),
        # on its way or there: no reason
        (record(status="claimed"), "sending", None),
        (record(status="waiting", waiting_since=T0), "waiting_for_worker", None),
        (record(status="unconfirmed", finished_at=T0), "sent", None),
        (sent("delivered", provider="twilio"), "delivered", None),
    ],
)
def test_a_message_that_did_not_arrive_says_why(
    document: dict[str, Any], state: str, reason: str | None
) -> None:
    delivery = delivery_of(document)
    assert delivery is not None and (delivery.state, delivery.reason) == (state, reason)
    assert announcement(document, delivery).reason == reason


def test_a_code_the_event_cannot_carry_still_gives_its_reason_and_text_gives_none() -> None:
    """Alibaba's codes have a dot: the event carries no code, but the committee still learns why. A
    code that could be the provider's text (with the number in it) is matched against nothing."""
    illegal = delivery_of(failed("isv.MOBILE_NUMBER_ILLEGAL", "aliyun"))
    assert illegal is not None and (illegal.error_code, illegal.reason) == (None, "number_invalid")
    text = delivery_of(failed("call +86 139 1234 5678", "twilio"))
    assert text is not None and (text.error_code, text.reason) == (None, "provider_refused")
