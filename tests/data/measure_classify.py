"""Measure the classifier on the labelled grievances: ``python -m tests.data.measure_classify``.

Prints, for the development part (``services/router/grievances.yaml``, which ships with the service:
the lexicon is grown on it and the critical detector trained on it) and the held-out part
(``tests/data/grievances.yaml``), the category accuracy, the recall of critical cases (the share of
critical grievances the classifier calls critical: a miss is a locked exit or a beating handled on
the slow clock) and its precision, and the accuracy for each form of writing. ``--misses`` lists the
development part's misses, the ones to learn from; the held-out part is only ever counted, never
listed, so that nobody tunes the lexicon or the detector on it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from services.router import labelled
from services.router.classify import classify
from services.router.labelled import Example

HELD_OUT = Path(__file__).with_name("grievances.yaml")
Part = Literal["development", "held_out"]


@dataclass(frozen=True)
class Miss:
    example: Example
    category: str
    critical: bool


@dataclass(frozen=True)
class Scores:
    total: int
    correct: int
    critical: int
    critical_found: int
    called_critical: int
    by_form: dict[str, tuple[int, int]]  # form -> (correct, total)
    misses: tuple[Miss, ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def critical_recall(self) -> float:
        return self.critical_found / self.critical if self.critical else 1.0

    @property
    def critical_precision(self) -> float:
        return self.critical_found / self.called_critical if self.called_critical else 1.0


def load(part: Part) -> list[Example]:
    """One part of the data set, validated (an unknown category or form is an error, not a miss)."""
    return labelled.load(part, labelled.DEVELOPMENT if part == "development" else HELD_OUT)


def score(examples: Sequence[Example]) -> Scores:
    correct = critical = found = called = 0
    by_form: dict[str, tuple[int, int]] = {}
    misses = []
    for example in examples:
        result = classify(example.text)
        said_critical = result.severity == "critical"
        right = result.category == example.category
        correct += right
        critical += example.critical
        found += example.critical and said_critical
        called += said_critical
        ok, seen = by_form.get(example.form, (0, 0))
        by_form[example.form] = (ok + right, seen + 1)
        if not right or example.critical != said_critical:
            misses.append(Miss(example, result.category, said_critical))
    return Scores(len(examples), correct, critical, found, called, by_form, tuple(misses))


def report(part: Part, scores: Scores) -> str:
    lines = [
        f"{part}: {scores.total} grievances",
        f"  category accuracy   {scores.accuracy:.3f} ({scores.correct}/{scores.total})",
        f"  critical recall     {scores.critical_recall:.3f} ({scores.critical_found}/{scores.critical})",
        f"  critical precision  {scores.critical_precision:.3f} ({scores.critical_found}/{scores.called_critical})",
    ]
    for form, (ok, seen) in sorted(scores.by_form.items()):
        lines.append(f"  {form:<14} {ok / seen:.3f} ({ok}/{seen})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--misses", action="store_true", help="list the development part's misses")
    args = parser.parse_args(argv)
    development = score(load("development"))
    print(report("development", development))
    print(report("held_out", score(load("held_out"))))
    if args.misses:
        for miss in development.misses:
            want = f"{miss.example.category}{' critical' if miss.example.critical else ''}"
            got = f"{miss.category}{' critical' if miss.critical else ''}"
            print(f"  miss: {miss.example.text!r}: want {want}, got {got}")


if __name__ == "__main__":
    main()
