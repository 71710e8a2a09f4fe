"""A queue's handlers, one per event type, and the one policy for an event none of them takes.

Each consumer registers, for every event type its queue is bound to, the function that handles it:
the handler's parameter type is the contract, so no handler takes ``Event`` and checks the type
inside. An event of any other type (it can only come by a wrong binding or a forced replay) is
refused the same way in every service: :class:`shared.messaging.Rejected`, so it goes to the
queue's ``.dead`` twin with reason ``rejected`` and the error ``"<type> does not belong on
<queue>"``, the very words :func:`shared.deadletters.refusal` gives when a replay would bring it
back. Nothing is acknowledged unhandled, and nothing is retried that no retry can fix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from shared.contracts import Event
from shared.messaging import QUEUES, Rejected

E = TypeVar("E", bound=Event)


def not_for(event_type: str, queue: str) -> str:
    """Why a queue's consumer refuses an event of a type it does not handle."""
    return f"{event_type} does not belong on {queue}"


class Handlers:
    """The handlers of one queue by event type; the bus calls it once per delivery."""

    def __init__(self, queue: str) -> None:
        if queue not in QUEUES:
            raise ValueError(f"no such queue: {queue}")
        self.queue = queue
        self._by_type: dict[type[Event], Callable[[Any], Awaitable[None]]] = {}

    def on(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> Handlers:
        """Register ``handler`` for the events of ``event_type``; the queue must be bound to it."""
        if event_type.routing_key() not in QUEUES[self.queue]:
            raise ValueError(not_for(event_type.event_type(), self.queue))
        self._by_type[event_type] = handler
        return self

    def handled(self) -> frozenset[str]:
        """The routing keys with a handler (all those the queue is bound to, once wired)."""
        return frozenset(cls.routing_key() for cls in self._by_type)

    async def __call__(self, event: Event) -> None:
        handler = self._by_type.get(type(event))
        if handler is None:
            raise Rejected(not_for(event.type, self.queue))
        await handler(event)
