"""Category and severity of a grievance from its text: a pure, table-tested rule (design section 10).

The classifier is the first reader of every grievance, so it reads the text as :mod:`shared.textfold`
folds it (traditional to simplified, full-width to half-width, invisible characters gone, case
folded), after ordinary senses of critical words are rewritten (:data:`~services.router.lexicon.ORDINARY_EN`:
a dead battery, an exit's sign). Retaliation is decided first (:mod:`services.router.retaliation`): a
worker punished for speaking up is a retaliation case whatever the punishment was about. Otherwise the
text is scored against a weighted lexicon (:mod:`services.router.lexicon`) and the category with the
highest score wins, ties going to the graver category. Severity is the gravest of the category's
default and of every matched term's own severity, so "wages unpaid and he hit me" is about wages but
critical, and so is a beating in reprisal for a complaint; a strong child or forced labour term is
critical in any category too (a reprisal by confinement). Nothing matched: ``other``/``normal``.

The lexicon reads only the words it was taught, so a learnt detector reads beside it
(:mod:`services.router.critical_model`): a grievance is critical when the lexicon says so or the
detector is confident, since a locked exit on the slow clock costs more than an ordinary complaint on
the fast one. The detector never changes the category.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import cast

from pypinyin import Style, lazy_pinyin

from services.router import critical_model, retaliation
from services.router.lexicon import BASE_SEVERITY, EN, ORDINARY_EN, ORDINARY_ZH, PRIORITY, ZH, Entry
from shared.contracts import Category, Severity, gravest
from shared.textfold import compact, spaced

_SOUND_MIN = 3  # a term this long or longer also matches by sound
SIGNAL_WEIGHT = 10  # what a retaliation signal adds to the retaliation score
CARRIES_SEVERITY = 5  # the weight from which a child or forced labour term is critical in any category


@dataclass(frozen=True)
class Classification:
    category: Category
    severity: Severity
    score: int


def normalise(text: str) -> str:
    """The folded text with whitespace collapsed: the form every English rule compares."""
    return spaced(text)


@dataclass(frozen=True)
class _Term:
    pattern: re.Pattern[str]
    sounds: tuple[
        str, ...
    ]  # " shen fen zheng " for each plain Chinese alternative of three characters or more
    category: str
    weight: int
    severity: Severity | None


def _sounds(pattern: str) -> tuple[str, ...]:
    plain = [
        p
        for p in _alternatives(pattern)
        if len(p) >= _SOUND_MIN and all(unicodedata.category(c) == "Lo" for c in p)
    ]
    return tuple(_sound(p) for p in plain)


def _alternatives(pattern: str) -> list[str]:
    """The pattern's top-level alternatives: a word inside a group (液化气 in ``(煤气|液化气).{0,4}爆``)
    is only part of a phrase, and matching it alone by sound would make every mention of it critical."""
    parts: list[str] = []
    depth = start = 0
    for i, c in enumerate(pattern):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    if len(parts) == 1 and pattern.startswith("(") and _closing(pattern) == len(pattern) - 1:
        return _alternatives(pattern[1:-1])  # a pattern that is one group: its words stand alone
    return parts


def _closing(pattern: str) -> int:
    """Where the group opened by the pattern's first character closes."""
    depth = 0
    for i, c in enumerate(pattern):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0:
            return i
    return -1


def _sound(han: str) -> str:
    """Toneless pinyin of every character, space-separated and padded, so terms match whole syllables."""
    return " " + " ".join(lazy_pinyin(han, style=Style.NORMAL)) + " "


@cache
def _zh_terms() -> tuple[_Term, ...]:
    # Built on first use, not at import: the sounds need pypinyin's dictionary.
    return tuple(_Term(re.compile(p), _sounds(p), c, w, s) for p, c, w, s in ZH)


_EN_TERMS = tuple(_Term(re.compile(rf"(?<![a-z0-9])(?:{p})(?![a-z0-9])"), (), c, w, s) for p, c, w, s in EN)


def _hits(term: _Term, text: str, sound: str = "") -> int:
    """How many different words of the entry the text contains (each counts once, as its own entry would)."""
    words = {m.group(0) for m in term.pattern.finditer(text)}
    return len(words) or int(any(s in sound for s in term.sounds))


def _matches(words: str, han: str) -> list[Entry]:
    sound = _sound(han)
    found: list[Entry] = []
    for term in _zh_terms():
        found += [(term.pattern.pattern, term.category, term.weight, term.severity)] * _hits(term, han, sound)
    for term in _EN_TERMS:
        found += [(term.pattern.pattern, term.category, term.weight, term.severity)] * _hits(term, words)
    return found


# Characters that look like the Chinese ones a worker meant (a katakana エ for 工 in 童エ, the
# enclosure radical 囗 for 口 in 出囗), as a phone's handwriting or symbol pad gives them; and the
# aspect particle 著 that Taiwan writes for 着 (扣著, 鎖著, 擋著) and its feminine 妳 for 你 (要妳的命),
# which the folding to simplified keeps.
_LOOK_ALIKES = str.maketrans("囗ロﾛエｴカｶニﾆハﾊ著妳", "口口口工工力力二二八八着你")


def _severity(entry: Entry) -> Severity | None:
    """The severity a matched entry carries. A strong term of a category that is critical by default
    (a worker shut in, papers taken, a child at work) carries that severity into whatever category
    wins: a reprisal by confinement, or unpaid wages with children on the line, is critical too."""
    _, category, weight, severity = entry
    if severity is None and weight >= CARRIES_SEVERITY and BASE_SEVERITY[category] == "critical":
        return BASE_SEVERITY[category]
    return severity


_ORDINARY_EN = tuple((re.compile(p), r) for p, r in ORDINARY_EN)
_ORDINARY_ZH = tuple((re.compile(p), r) for p, r in ORDINARY_ZH)


def _plain(words: str, han: str) -> tuple[str, str]:
    """The texts with ordinary senses of critical words rewritten (a dead battery, an exit's sign)."""
    for pattern, replacement in _ORDINARY_EN:
        words = pattern.sub(replacement, words)
    for pattern, replacement in _ORDINARY_ZH:
        han = pattern.sub(replacement, han)
    return words, han


def classify(text: str) -> Classification:
    """The category and severity of a grievance text: the lexicon's, made critical when the learnt
    detector is confident that it is."""
    result = by_lexicon(text)
    if result.severity != "critical" and critical_model.is_critical(text):
        return Classification(result.category, "critical", result.score)
    return result


def by_lexicon(text: str) -> Classification:
    """The category and severity the lexicon alone gives (what the detector is measured beside)."""
    text = text.translate(_LOOK_ALIKES)
    words, han = _plain(spaced(text), compact(text))
    found = _matches(words, han)
    reprisal = retaliation.signal(words, han)
    if not found and not reprisal:
        return Classification("other", "normal", 0)
    scores: dict[str, int] = {}
    for _, category, weight, _ in found:
        scores[category] = scores.get(category, 0) + weight
    if reprisal:
        scores["retaliation"] = scores.get("retaliation", 0) + SIGNAL_WEIGHT
        best = "retaliation"
    else:
        best = max(scores.items(), key=lambda item: (item[1], -PRIORITY.index(item[0])))[0]
    severity = gravest(BASE_SEVERITY[best], *(s for s in map(_severity, found) if s is not None))
    return Classification(cast(Category, best), severity, scores[best])
