"""Which committee members a grievance may name, and by which rule: pure (design section 9).

A committee whose member is named in a grievance must not handle it: the worker may be complaining
about that very person. Workers do not write names the way the registry does, and some hide them on
purpose, so the text is read in two folded views (:mod:`shared.textfold`):

- Chinese: only letters and digits, traditional folded to simplified, so 王 芳, 王·芳, 王\\u200b芳,
  王\\n芳 and 王芳 are one string; matched against the member's name, aliases and the forms derived
  from them (:mod:`services.router.nameforms`: 王经理, 小王, 芳姐 ...), a derived form being vetoed
  when its surname sits inside a common word (关于经理 is not 于经理);
- romanised: the runs of Latin letters, tone marks and tone digits gone, so "Wáng Fāng", "wang2
  fang1", "WangFang" and "w a n g f a n g" all read wang|fang; a form matches whole runs only, so
  "wangfangzhou" is not "wangfang", and a run that is one syllable ("yuan") never stands for two
  (yu an).

A form that fits several members (王经理 when two members are surnamed 王) is a possible conflict
for each of them: erring towards the worker's safety costs a committee a case, the other way costs
a worker their safety. Each match says which rule found it (``folded`` for the registered name
written apart, hidden or in traditional characters), for the NGO's eyes only: :func:`recorded` is
the form the events carry, without the words of the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from services.router.nameforms import Form, forms_of, syllables
from services.router.nametables import COMMON_WORDS
from shared.contracts import NAME_RULES, NamedMember, NameRule
from shared.textfold import compact, fold, strip_marks

_LATIN_RUN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Member:
    """A committee member as the registry lists them (design section 12)."""

    name: str
    aliases: tuple[str, ...] = ()
    role: str | None = None


@dataclass(frozen=True)
class NameMatch:
    """A member the text may name: who, in which committee, by which rule and which folded form.

    ``shared`` counts the members the form fits; more than one means a shared surname or title, and
    every one of them is treated as named.
    """

    committee_id: str
    member: str
    role: str | None
    rule: NameRule
    form: str
    shared: int = 1

    @property
    def ambiguous(self) -> bool:
        return self.shared > 1

    def recorded(self) -> NamedMember:
        """What the NGO is told of the match: the member and the rule, never the form the text had."""
        return NamedMember(
            committee_id=self.committee_id,
            member=self.member,
            role=self.role,
            rule=self.rule,
            shared=self.shared,
        )


def recorded(matches: Sequence[NameMatch]) -> tuple[NamedMember, ...]:
    """The matches as the events carry them, once each, in a stable order."""
    return tuple(
        dict.fromkeys(m.recorded() for m in sorted(matches, key=lambda m: (m.committee_id, m.member)))
    )


@dataclass(frozen=True)
class _Views:
    han: str
    runs: tuple[str, ...]


def _views(text: str) -> _Views:
    return _Views(compact(text), tuple(_LATIN_RUN.findall(strip_marks(fold(text)))))


@lru_cache(maxsize=4096)
def _forms(name: str, aliases: tuple[str, ...]) -> tuple[Form, ...]:
    # Registry data only (never a worker's text), so caching it keeps nothing sensitive.
    return tuple(forms_of(name, aliases))


def _vetoed(han: str, start: int, end: int) -> bool:
    """True when a common word covers a character of ``han[start:end]`` (the anchor of a form)."""
    for word in COMMON_WORDS:
        for at in range(max(0, start - len(word) + 1), end):
            if han.startswith(word, at):
                return True
    return False


def _han_found(form: Form, han: str) -> bool:
    at = han.find(form.text)
    while at != -1:
        if form.anchor is None or not _vetoed(han, at + form.anchor[0], at + form.anchor[1]):
            return True
        at = han.find(form.text, at + 1)
    return False


def _splits_a_syllable(form: Form, runs: Sequence[str]) -> bool:
    """True when one run stands for several syllables of the form but is itself a single syllable."""
    offset = 0
    for run in runs:
        end = offset + len(run)
        if run in syllables() and any(offset < b < end for b in form.breaks):
            return True
        offset = end
    return False


def _latin_found(forms: Mapping[str, list[Form]], runs: Sequence[str]) -> set[Form]:
    longest = max((len(text) for text in forms), default=0)
    found: set[Form] = set()
    for first in range(len(runs)):
        joined = ""
        for last in range(first, len(runs)):
            joined += runs[last]
            if len(joined) > longest:
                break
            for form in forms.get(joined, ()):
                if not _splits_a_syllable(form, runs[first : last + 1]):
                    found.add(form)
    return found


def named_members(text: str, committees: Mapping[str, Sequence[Member]]) -> tuple[NameMatch, ...]:
    """Every member of the given committees whom the text may name, with the strongest rule for each."""
    owners: dict[Form, list[tuple[str, Member]]] = {}
    for committee_id, members in committees.items():
        for member in members:
            for form in _forms(member.name, tuple(member.aliases)):
                owners.setdefault(form, []).append((committee_id, member))
    views = _views(text)
    latin: dict[str, list[Form]] = {}
    for form in owners:
        if form.script == "latin":
            latin.setdefault(form.text, []).append(form)
    found = {f for f in owners if f.script == "han" and _han_found(f, views.han)}
    found |= _latin_found(latin, views.runs)
    fits: dict[str, set[str]] = {}
    for form in found:
        fits.setdefault(form.text, set()).update(member.name for _, member in owners[form])
    best: dict[tuple[str, str], NameMatch] = {}
    for form in found:
        for committee_id, member in owners[form]:
            match = NameMatch(
                committee_id, member.name, member.role, _rule(form, text), form.text, len(fits[form.text])
            )
            key = (committee_id, member.name)
            if key not in best or _strength(match) < _strength(best[key]):
                best[key] = match
    return tuple(best[key] for key in sorted(best))


def _rule(form: Form, text: str) -> NameRule:
    """The form's rule; the registered Chinese name found only once the text is folded is ``folded``
    (written with separators, invisible characters or in traditional characters), so the NGO sees
    that someone wrote it that way."""
    if form.rule == "exact" and form.script == "han" and form.text not in text:
        return "folded"
    return form.rule


def _strength(match: NameMatch) -> tuple[int, int, str]:
    return NAME_RULES.index(match.rule), match.shared, match.form
