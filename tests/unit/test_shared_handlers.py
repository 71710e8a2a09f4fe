"""A queue's handlers by event type, and the one refusal of an event none of them takes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.contracts import CaseAssigned, CaseUpdated, MessageOutbound
from shared.deadletters import refusal
from shared.handlers import Handlers
from shared.messaging import QUEUES, Rejected

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def update() -> CaseUpdated:
    return CaseUpdated(
        correlation_id=uuid.uuid4(),
        case_id="c1",
        reference="ABCDE-FGHJK",
        action="acknowledged",
        actor_role="committee",
        at=NOW,
        status="acknowledged",
    )


def outbound() -> MessageOutbound:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact="s",
        text="已收到",
        language="zh",
        purpose="ack",
    )


async def test_each_event_goes_to_the_handler_of_its_type() -> None:
    seen: list[str] = []

    async def on_assigned(event: CaseAssigned) -> None:
        seen.append(f"assigned {event.case_id}")

    async def on_updated(event: CaseUpdated) -> None:
        seen.append(f"updated {event.action}")

    handlers = Handlers("escalation.cases").on(CaseAssigned, on_assigned).on(CaseUpdated, on_updated)
    await handlers(update())
    assert seen == ["updated acknowledged"]
    assert handlers.handled() == set(QUEUES["escalation.cases"])


async def test_an_event_without_a_handler_is_refused_in_the_words_a_replay_would_give() -> None:
    async def on_updated(event: CaseUpdated) -> None:
        raise AssertionError("not this one")

    stray = outbound()
    with pytest.raises(Rejected) as caught:
        await Handlers("escalation.cases").on(CaseUpdated, on_updated)(stray)
    assert str(caught.value) == refusal("escalation.cases", stray.to_json(), stray.type)
    assert str(caught.value) == "message.outbound does not belong on escalation.cases"


def test_a_handler_for_a_type_the_queue_is_not_bound_to_is_a_wiring_error() -> None:
    async def on_outbound(event: MessageOutbound) -> None:
        return None

    with pytest.raises(ValueError, match=r"does not belong on escalation\.cases"):
        Handlers("escalation.cases").on(MessageOutbound, on_outbound)
    with pytest.raises(ValueError, match="no such queue"):
        Handlers("escalation.nothing")
