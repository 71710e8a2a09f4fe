"""Which factory and which committee a grievance goes to: pure rules (design sections 9 and 10).

The factory is found, in this order, from the web form's factory code, the SMS gateway number the
worker wrote to (the SMS ``To``), a factory code or keyword as the first word of the text (case- and
width-insensitive), and finally the same reporter's latest case. The committee is one that handles the
category, none of whose members the text may name (:mod:`services.router.names`: the name or an
alias however written, in pinyin, or a form the shop floor derives from it such as 王经理 or 小王),
and among several has the fewest open cases. Retaliation never goes to a factory committee: the
factory is the party accused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from services.router.names import Member, named_members, recorded
from shared.contracts import NamedMember, UnassignedReason
from shared.privacy import normalise_e164

FactoryVia = Literal["factory_code", "gateway_number", "first_word", "reporter_history"]


@dataclass(frozen=True)
class FactoryInfo:
    code: str
    sms_numbers: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommitteeInfo:
    id: str
    factory_id: str
    categories: tuple[str, ...]  # ("all",) or a list of categories
    names: tuple[str, ...] = ()  # every member's name and aliases, when the members are not given
    members: tuple[Member, ...] = ()

    def handles(self, category: str) -> bool:
        return "all" in self.categories or category in self.categories

    def people(self) -> tuple[Member, ...]:
        """The members; from a flat list of names, each name as a member of its own.

        A flat list loses which alias belongs to which name, so an alias is then matched as a name
        (the rule says "exact" where it would say "alias"); nothing that would match is lost.
        """
        return self.members or tuple(Member(name) for name in self.names)


# The first deployment is China; a factory elsewhere names its zone in the registry (``timezone``).
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Routing:
    """The registry as routing reads it: every factory (by code, the order routing tries them in),
    each factory's active committees (by id) and the time zone its workers are told times in."""

    factories: tuple[FactoryInfo, ...] = ()
    committees: Mapping[str, tuple[CommitteeInfo, ...]] = field(default_factory=dict)
    zones: Mapping[str, str] = field(default_factory=dict)

    def committees_of(self, factory_id: str | None) -> tuple[CommitteeInfo, ...]:
        """A factory's active committees; none for no factory or an unknown one."""
        return self.committees.get(factory_id, ()) if factory_id else ()

    def zone_of(self, factory_id: str | None) -> str:
        """The zone a factory's workers are told times in; the default one for no or an unknown factory."""
        return self.zones.get(factory_id, DEFAULT_TIMEZONE) if factory_id else DEFAULT_TIMEZONE


@dataclass(frozen=True)
class Hints:
    """What a grievance says about where it came from."""

    channel: str
    text: str
    factory_hint: str | None = None
    gateway_number: str | None = None


@dataclass(frozen=True)
class Assignment:
    committee_id: str | None
    unassigned_reason: UnassignedReason | None = None
    skipped: tuple[str, ...] = field(default=())  # committees passed over for a conflict of interest
    conflicts: tuple[NamedMember, ...] = field(default=())  # why: for the NGO only, never the committee


def fold_name(value: str) -> str:
    """NFKC and case folding: "ＧＺ００１", "gz001" and "GZ001" are the same word."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


def starts_with_name(text: str, name: str) -> bool:
    """True when the folded text opens with the folded name as a word of its own.

    Chinese writers often omit the space ("GZ001工资没发"), so an ASCII name only needs to be
    followed by something that is not an ASCII letter or digit.
    """
    folded, word = fold_name(text), fold_name(name)
    if not word or not folded.startswith(word):
        return False
    rest = folded[len(word) :]
    return not rest or not (rest[0].isascii() and rest[0].isalnum())


def candidate_numbers(hints: Hints) -> list[str]:
    """The E.164 forms of the gateway number and of a hint that looks like a number."""
    raw = [n for n in (hints.gateway_number, hints.factory_hint) if n and n.strip().lstrip("+").isdigit()]
    numbers = [normalise_e164(n) for n in raw]
    return list(dict.fromkeys(n for n in numbers if n))


def resolve_factory(
    hints: Hints, factories: Sequence[FactoryInfo], latest_factory: str | None
) -> tuple[str | None, FactoryVia | None]:
    """The factory code and how it was found, or (None, None) when the grievance is unroutable."""
    by_code = {fold_name(f.code): f.code for f in factories}
    if hints.channel == "web" and hints.factory_hint and fold_name(hints.factory_hint) in by_code:
        return by_code[fold_name(hints.factory_hint)], "factory_code"
    for number in candidate_numbers(hints):
        for factory in factories:
            if number in factory.sms_numbers:
                return factory.code, "gateway_number"
    for factory in factories:
        if any(starts_with_name(hints.text, name) for name in (factory.code, *factory.keywords)):
            return factory.code, "first_word"
    hint = fold_name(hints.factory_hint) if hints.factory_hint else ""
    for factory in factories:
        if hint and hint in {fold_name(name) for name in (factory.code, *factory.keywords)}:
            return factory.code, "first_word"
    if latest_factory is not None:
        return latest_factory, "reporter_history"
    return None, None


def named_in(text: str, names: Sequence[str]) -> bool:
    """True when the text may name anyone in ``names`` (see :mod:`services.router.names`)."""
    return bool(named_members(text, {"": tuple(Member(name) for name in names)}))


@dataclass(frozen=True)
class Screening:
    """The committees that may take a case, before their load decides; or why none may.

    ``settled`` is the assignment when the load cannot change it (one committee or none may take the
    case), so that only a contested case needs its committees' open cases counted.
    """

    clear: tuple[CommitteeInfo, ...]
    skipped: tuple[str, ...] = ()
    conflicts: tuple[NamedMember, ...] = ()
    refused: UnassignedReason | None = None
    settled: Assignment | None = None

    def contested(self) -> list[str]:
        """The committees whose open cases decide: none to count when one or none may take it."""
        return [c.id for c in self.clear] if len(self.clear) > 1 else []


def screen(
    category: str, text: str, committees: Sequence[CommitteeInfo], exclude: Sequence[str] = ()
) -> Screening:
    """Who may take a case of ``category`` in one factory: handling it, not excluded, not named.

    A factory with no committee for the category leaves the case unassigned as ``unroutable``: the
    registry cannot route it, and the NGO routes it by hand.
    """
    if category == "retaliation":
        return Screening((), refused="retaliation", settled=Assignment(None, "retaliation"))
    handling = [c for c in committees if c.handles(category) and c.id not in exclude]
    if not handling:
        return Screening((), refused="unroutable", settled=Assignment(None, "unroutable"))
    # What the NGO is told of each match, never the form the text had (:func:`names.recorded`).
    conflicts = recorded(named_members(text, {c.id: c.people() for c in handling}))
    named = {match.committee_id for match in conflicts}
    clear = tuple(c for c in handling if c.id not in named)
    skipped = tuple(c.id for c in handling if c.id in named)
    screening = Screening(clear, skipped, conflicts, None if clear else "conflict_of_interest")
    return replace(screening, settled=pick(screening, {})) if len(clear) <= 1 else screening


def route(category: str, text: str, factory_id: str | None, committees: Sequence[CommitteeInfo]) -> Screening:
    """The screening of a new case: the committees of its factory, or unroutable without one."""
    if factory_id is None:
        return Screening((), refused="unroutable", settled=Assignment(None, "unroutable"))
    return screen(category, text, committees)


def pick(screening: Screening, open_cases: Mapping[str, int]) -> Assignment:
    """The least busy committee the screening left (ties by id), or why there is none."""
    if not screening.clear:
        return Assignment(None, screening.refused, screening.skipped, screening.conflicts)
    best = min(screening.clear, key=lambda c: (open_cases.get(c.id, 0), c.id))
    return Assignment(best.id, None, screening.skipped, screening.conflicts)


def choose_committee(
    category: str,
    text: str,
    committees: Sequence[CommitteeInfo],
    open_cases: Mapping[str, int],
    exclude: Sequence[str] = (),
) -> Assignment:
    """The committee for a case of ``category`` in one factory, or why there is none."""
    return pick(screen(category, text, committees, exclude), open_cases)
