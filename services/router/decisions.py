"""What a worker's later SMS or WeChat message means: one typed decision, from a pure rule.

:func:`decide` takes what is known when the message arrives (the keyword command it is, the case
reference it names, the worker's open cases, the case a STATUS reference names and the factory the
text names) and returns one member of :data:`Decision`. It reads nothing itself, so the table of
``tests/unit/test_router_decisions.py`` covers it without a store.

The decision is recorded (``router_inbound``) before it is carried out, and a redelivered message
repeats the recorded one: after "是" closed the case, a redelivered "是" must not become a new
grievance. The ``kind`` values are the stored form and stay as they are.

**Binding.** A message continues a case only when it quotes the case's reference (any open case,
``referenced``), or comes from the proven identity the case is bound to (:func:`bound_cases`: the
channel proved the sender's contact, and the case's contact was proven too, by its channel or by a
confirmation). A web form's number is no such identity until confirmed: its case is keyed apart and
binds nothing, so nobody can plant a case that collects another worker's messages.

In order: ``NEW``/``新投诉`` + text -> a new grievance (``NEW`` alone -> help); HELP, STOP, START ->
answered; STATUS [+ reference] -> the status of that case or of every open case; YES/NO
[+ reference] with one resolution pending -> confirmed or disputed, several pending -> asked which,
none -> an ordinary message. The confirmation code sent to a web form's number, written back from
that number -> its contact is confirmed. An ordinary message that quotes an open case's reference
goes to it; one that names one of the open cases, by reference or by its case code (the six
characters a Chinese SMS carries, matched among the sender's own open cases only), goes to it; a
message naming a factory from a worker whose only open cases are unroutable opens a new, routed
case that supersedes them; else one open case takes it, several -> the worker is asked which, none
-> a new grievance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from services.router.case import Case
from shared.ids import case_code
from shared.keywords import Command

# At most this many open cases are listed in a STATUS answer.
STATUS_LIMIT = 5


class _Decision(BaseModel):
    # The record carries its own ``_id`` and ``at`` next to the decision.
    model_config = ConfigDict(frozen=True, extra="ignore")


class NewCase(_Decision):
    """A new grievance: ``text`` replaces the message's (after NEW); ``supersedes`` closes unroutable cases."""

    kind: Literal["new_case"] = "new_case"
    text: str | None = None
    supersedes: tuple[str, ...] = ()


class FollowUp(_Decision):
    """The message continues an open case."""

    kind: Literal["message"] = "message"
    case_id: str


class Confirm(_Decision):
    kind: Literal["confirm"] = "confirm"
    case_id: str


class Dispute(_Decision):
    kind: Literal["dispute"] = "dispute"
    case_id: str


class StatusRequest(_Decision):
    """Answer with the status of these cases (none: the worker has no case we know of)."""

    kind: Literal["status"] = "status"
    case_ids: tuple[str, ...] = ()


class Question(_Decision):
    """Ask the worker which of these cases the message is about."""

    kind: Literal["question"] = "question"
    references: tuple[str, ...]


class ConfirmContact(_Decision):
    """The sender wrote back the code sent to the number these cases were given on the web."""

    kind: Literal["confirm_contact"] = "confirm_contact"
    case_ids: tuple[str, ...]


class Help(_Decision):
    kind: Literal["help"] = "help"


class Stop(_Decision):
    kind: Literal["stop"] = "stop"


class Start(_Decision):
    kind: Literal["start"] = "start"


Decision = Annotated[
    NewCase | FollowUp | Confirm | Dispute | StatusRequest | Question | ConfirmContact | Help | Stop | Start,
    Field(discriminator="kind"),
]
DECISION: TypeAdapter[Decision] = TypeAdapter(Decision)


def decide(
    command: Command | None,
    *,
    reference: str | None,
    open_cases: Sequence[Case],
    status_case: Case | None = None,
    named_factory: str | None = None,
    referenced: Case | None = None,
    confirmable: tuple[str, ...] = (),
    codes: frozenset[str] = frozenset(),
) -> Decision:
    """The decision for one message.

    ``reference`` is the case reference written in the message, if any; ``open_cases`` the open
    cases bound to the sender (:func:`bound_cases`), newest first; ``status_case`` the sender's case
    (closed too) that a STATUS command's reference names; ``named_factory`` the factory the message
    opens with, if it names one; ``referenced`` the open case the reference names, whoever's it is;
    ``confirmable`` the cases whose contact confirmation code the message is; ``codes`` the words of
    the message that could be case codes.
    """
    if command is not None and command.kind == "new":
        return NewCase(text=command.text) if command.text else Help()
    if command is not None and command.kind == "help":
        return Help()
    if command is not None and command.kind == "stop":
        return Stop()
    if command is not None and command.kind == "start":
        return Start()
    if command is not None and command.kind == "status":
        if command.reference:
            return StatusRequest(case_ids=(status_case.case_id,) if status_case else ())
        return StatusRequest(case_ids=tuple(c.case_id for c in open_cases[:STATUS_LIMIT]))
    if command is not None and command.kind in ("yes", "no"):
        pending = [c for c in open_cases if c.status == "resolved"]
        if command.reference:
            pending = [c for c in pending if c.reference == command.reference]
        if len(pending) == 1:
            case_id = pending[0].case_id
            return Confirm(case_id=case_id) if command.kind == "yes" else Dispute(case_id=case_id)
        if len(pending) > 1:
            return Question(references=tuple(c.reference for c in pending))
        # no resolution waits for an answer: an ordinary message
    if command is None and confirmable:
        return ConfirmContact(case_ids=confirmable)
    if referenced is not None and reference and referenced.reference == reference:
        return FollowUp(case_id=referenced.case_id)
    named = [c for c in open_cases if reference and c.reference == reference]
    if named:
        return FollowUp(case_id=named[0].case_id)
    coded = [c for c in open_cases if case_code(c.reference) in codes]
    if len(coded) == 1:
        return FollowUp(case_id=coded[0].case_id)
    candidates: Sequence[Case] = open_cases
    superseded: tuple[str, ...] = ()
    if named_factory is not None and any(c.factory_id is None for c in open_cases):
        candidates = [c for c in open_cases if c.factory_id is not None]
        superseded = tuple(c.case_id for c in open_cases if c.factory_id is None)
    if len(candidates) == 1:
        return FollowUp(case_id=candidates[0].case_id)
    if len(candidates) > 1:
        return Question(references=tuple(c.reference for c in candidates))
    return NewCase(supersedes=superseded)


def bound_cases(cases: Sequence[Case], reporter_key: str, proven: bool) -> list[Case]:
    """The cases a sender's message continues without quoting a reference: none unless the channel
    proved the sender's identity, then those whose own contact is proven and is that identity."""
    return [c for c in cases if c.bound_to(reporter_key)] if proven else []
