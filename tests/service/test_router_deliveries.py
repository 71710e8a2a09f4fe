"""The router's fold of delivery announcements: the highest state stays, in any order, at any count.

On the store (mongomock here, the real-server lane in ``make test-mongo``), because the rule is one
conditional upsert: the order-tolerance is the store's, not a check in Python before the write.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.router.case import Message
from services.router.deliveries import DeliveryConsumer, handlers
from services.router.views import DeliveryStatus
from services.router.worker_store import WorkerStore
from shared.contracts import (
    DELIVERY_STATES,
    CaseUpdated,
    DeliveryReason,
    DeliveryState,
    MessageDeliveryChanged,
)
from shared.messaging import Rejected
from tests.fakes import FakeClock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def announced(
    outbound_id: uuid.UUID,
    state: DeliveryState,
    code: str | None = None,
    reason: DeliveryReason | None = None,
) -> MessageDeliveryChanged:
    return MessageDeliveryChanged(
        correlation_id=uuid.uuid4(),
        outbound_id=outbound_id,
        case_id="c1",
        reference="ABCDE-FGHJK",
        state=state,
        error_code=code,
        reason=reason,
        at=T0 + timedelta(seconds=DELIVERY_STATES.index(state)),
    )


def message(outbound_id: uuid.UUID) -> Message:
    return Message(id=f"m-{outbound_id.hex[:6]}", direction="committee", text="收到", at=T0,
                   purpose="committee_reply", outbound_id=str(outbound_id))  # fmt: skip


async def seen(workers: WorkerStore, outbound_id: uuid.UUID) -> str | None:
    status = await seen_with_reason(workers, outbound_id)
    return status.state if status else None


async def seen_with_reason(workers: WorkerStore, outbound_id: uuid.UUID) -> DeliveryStatus | None:
    item = message(outbound_id)
    return (await workers.delivery_statuses([item])).get(item.id)


@pytest.fixture
def consumer(db: Any) -> tuple[WorkerStore, DeliveryConsumer]:
    workers = WorkerStore(db)
    return workers, DeliveryConsumer(workers=workers, clock=FakeClock())


@pytest.mark.parametrize("order", list(itertools.permutations(["sending", "sent", "delivered", "failed"])))
async def test_any_order_ends_in_the_highest_state(
    consumer: tuple[WorkerStore, DeliveryConsumer], order: tuple[DeliveryState, ...]
) -> None:
    workers, fold = consumer
    outbound_id = uuid.uuid4()
    for state in order:
        await fold(announced(outbound_id, state))
    assert await seen(workers, outbound_id) == "failed"


async def test_a_redelivery_and_a_late_earlier_state_change_nothing(
    consumer: tuple[WorkerStore, DeliveryConsumer],
) -> None:
    workers, _ = consumer
    outbound_id = uuid.uuid4()
    assert await seen(workers, outbound_id) is None  # the view says pending
    assert await workers.fold_delivery(announced(outbound_id, "sent"), T0)
    assert await workers.fold_delivery(announced(outbound_id, "delivered"), T0)
    assert not await workers.fold_delivery(announced(outbound_id, "delivered"), T0)
    assert not await workers.fold_delivery(announced(outbound_id, "sending"), T0)
    assert await seen(workers, outbound_id) == "delivered"


async def test_concurrent_announcements_keep_the_highest(
    consumer: tuple[WorkerStore, DeliveryConsumer],
) -> None:
    """Two replicas folding at once: the conditional upsert decides, not the order of the reads."""
    workers, fold = consumer
    outbound_id = uuid.uuid4()
    states: list[DeliveryState] = ["sending", "sent", "delivered", "undelivered", "sent", "sending"]
    await asyncio.gather(*(fold(announced(outbound_id, s)) for s in states))
    assert await seen(workers, outbound_id) == "undelivered"


async def test_another_event_type_is_rejected(consumer: tuple[WorkerStore, DeliveryConsumer]) -> None:
    _, fold = consumer
    wrong = CaseUpdated(correlation_id=uuid.uuid4(), case_id="c1", reference="ABCDE-FGHJK",
                        action="acknowledged", actor_role="committee", at=T0, status="acknowledged")  # fmt: skip
    with pytest.raises(Rejected, match=r"^case\.updated does not belong on router\.deliveries$"):
        await handlers(fold)(wrong)


async def test_the_reason_comes_with_the_state_that_carried_it(
    consumer: tuple[WorkerStore, DeliveryConsumer],
) -> None:
    """A failure's reason is kept with it; a late earlier state brings no reason of its own."""
    workers, fold = consumer
    outbound_id = uuid.uuid4()
    await fold(announced(outbound_id, "sent"))
    assert await seen_with_reason(workers, outbound_id) == DeliveryStatus("sent", None)
    await fold(announced(outbound_id, "undelivered", "30003", "unreachable"))
    await fold(announced(outbound_id, "sending"))
    assert await seen_with_reason(workers, outbound_id) == DeliveryStatus("undelivered", "unreachable")
    unconfigured = uuid.uuid4()
    await fold(announced(unconfigured, "undeliverable", "channel_unconfigured", "channel_unconfigured"))
    assert await seen_with_reason(workers, unconfigured) == DeliveryStatus(
        "undeliverable", "channel_unconfigured"
    )


async def test_a_record_folded_before_reasons_were_announced_has_none(
    consumer: tuple[WorkerStore, DeliveryConsumer], db: Any
) -> None:
    """An older intake announced no reason: the state is shown alone, whatever else the record holds."""
    workers, fold = consumer
    outbound_id = uuid.uuid4()
    await fold(announced(outbound_id, "failed", "21610"))
    assert await seen_with_reason(workers, outbound_id) == DeliveryStatus("failed", None)
