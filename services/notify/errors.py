"""How a notification can fail: for good, or for now.

A channel's answer is sorted once, in its adapter, into one of two errors. A permanent error (a
revoked robot key, a signature the robot refuses, a mailbox that does not exist) will not heal by
itself: retrying it only hammers the provider, so the caller records it for an operator. A
transient error (a timeout, a 5xx, a provider that is busy or rate-limits us) is worth another try
later. Neither ever carries a webhook URL, a key or an address: only a short code that is safe to
log, such as ``wecom_93000`` or ``http_503``.
"""

from __future__ import annotations


class NotifyError(Exception):
    """A notification was not delivered through one channel."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PermanentNotifyError(NotifyError):
    """The channel refused this notification for good; retrying cannot help."""


class TransientNotifyError(NotifyError):
    """The channel could not take the notification now.

    ``retry_after`` is set when the provider (or our own rate window) says how long to wait, in
    seconds; such an error is not retried in place, because the wait is longer than a caller
    should hold a message for.
    """

    def __init__(self, code: str, *, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.retry_after = retry_after
