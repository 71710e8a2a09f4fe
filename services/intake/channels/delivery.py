"""What every outbound channel promises: send one text, return the provider's id, or say why not."""

from __future__ import annotations

from typing import Protocol

from shared.contracts import MessageOutbound


class PermanentDeliveryError(Exception):
    """The provider refused this message for good (opted out, invalid number); never retried."""

    def __init__(self, code: str) -> None:
        super().__init__(f"permanent delivery error {code}")
        self.code = code


class TransientDeliveryError(Exception):
    """The provider could not take the message now; the event is retried later."""


class OutboundChannel(Protocol):
    name: str

    async def send(
        self, to: str, sender: str, body: str, *, event: MessageOutbound, part: int, parts: int
    ) -> str:
        """Deliver ``body`` (part ``part`` of ``parts`` of the event's text); the provider's message id."""
