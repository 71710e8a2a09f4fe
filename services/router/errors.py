"""The router's domain errors: what a case refuses, raised where the rule lives.

They carry no HTTP: :mod:`services.router.api` translates each of them once, at the edge (409 for a
refused transition, 404 for a case the committee does not hold). Consumers let them propagate: a
delivery that meets :class:`ChangedConcurrently` is retried by the bus like any other transient fault.
"""

from __future__ import annotations


class CaseError(Exception):
    """Something a case refuses; the subclasses say why."""


class CaseNotFound(CaseError):
    """No case has this id (cases are never deleted, so this is a caller's mistake or a stale id)."""


class NotYourCase(CaseError):
    """The committee acting does not hold the case (any more): to it, the case does not exist."""


class CaseClosed(CaseError):
    """The case is closed; nothing more can be done to it."""


class Conflict(CaseError):
    """The action contradicts the case's state; the message says how."""


class ChangedConcurrently(CaseError):
    """The case kept changing between read and write for every attempt; the client may retry."""


class WorkerUnreachable(Conflict):
    """A committee message cannot reach the worker: they opted out (STOP), or never confirmed the number.

    Accepting it would leave a message that never goes out, shown as pending for ever.
    """

    def __init__(self, contact: str, detail: str) -> None:
        super().__init__(detail)
        self.contact = contact
