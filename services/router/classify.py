"""Category and severity of a grievance from its text: a pure, table-tested rule (design section 10).

The text is normalised (NFKC folds full-width letters and digits to half-width, case folding) and
scored against a weighted lexicon; the category with the highest score wins, ties going to the graver
category. Severity is the gravest of the category's default and every matched term's own severity,
so "wages unpaid and he hit me" is about wages but critical. Nothing matched: ``other``/``normal``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import cast

from services.router.lexicon import BASE_SEVERITY, EN, PRIORITY, ZH, Entry, SeverityName
from shared.contracts import Category, Severity

_RANK: dict[SeverityName, int] = {"normal": 0, "high": 1, "critical": 2}


@dataclass(frozen=True)
class Classification:
    category: Category
    severity: Severity
    score: int


def normalise(text: str) -> str:
    """Full-width to half-width, case folded, whitespace collapsed: the form every rule compares."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def _compile(entries: tuple[Entry, ...]) -> list[tuple[re.Pattern[str], str, int, SeverityName | None]]:
    return [(re.compile(rf"(?<![a-z0-9]){pattern}(?![a-z0-9])"), *rest) for pattern, *rest in entries]  # type: ignore[misc]


_EN = _compile(EN)


def _matches(text: str) -> list[tuple[str, int, SeverityName | None]]:
    found = [(category, weight, severity) for term, category, weight, severity in ZH if term in text]
    found += [
        (category, weight, severity) for pattern, category, weight, severity in _EN if pattern.search(text)
    ]
    return found


def classify(text: str) -> Classification:
    """The category and severity of a grievance text."""
    found = _matches(normalise(text))
    if not found:
        return Classification("other", "normal", 0)
    scores: dict[str, int] = {}
    for category, weight, _ in found:
        scores[category] = scores.get(category, 0) + weight
    best = max(scores.items(), key=lambda item: (item[1], -PRIORITY.index(item[0])))[0]
    severity: SeverityName = BASE_SEVERITY[best]
    for _, _, term_severity in found:
        if term_severity is not None and _RANK[term_severity] > _RANK[severity]:
            severity = term_severity
    return Classification(cast(Category, best), severity, scores[best])
