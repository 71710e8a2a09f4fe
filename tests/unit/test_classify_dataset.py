"""The classifier on the labelled grievances: a regression fails here.

The development part ships with the router (services/router/grievances.yaml); the held-out part
stays with the tests (tests/data/grievances.yaml).

The goal is category accuracy >= 0.95 and critical recall 1.0 on the held-out part, which is never
used to make the lexicon. Accuracy meets it; critical recall does not yet (one critical grievance of
forty is missed), so that assertion is a strict expected failure: it turns red the day the goal is
met, so that the marker is removed, and the floor below keeps what has been reached.
"""

from __future__ import annotations

from collections import Counter

import pytest

from shared.contracts import CATEGORIES
from tests.data.measure_classify import load, score

HELD_OUT = load("held_out")
DEVELOPMENT = load("development")


def test_the_data_set_is_large_half_chinese_and_covers_every_category_in_both_parts() -> None:
    both = HELD_OUT + DEVELOPMENT
    assert len(both) >= 200
    assert sum(e.form.startswith("zh") for e in both) * 2 >= len(both)
    forms = Counter(e.form for e in both)
    assert all(forms[f] >= 10 for f in ("zh-hant", "zh-colloquial", "zh-misspelt"))
    for part in (HELD_OUT, DEVELOPMENT):
        assert {e.category for e in part} == set(CATEGORIES)
    assert not {e.text for e in HELD_OUT} & {e.text for e in DEVELOPMENT}


def test_held_out_accuracy_meets_the_goal() -> None:
    assert score(HELD_OUT).accuracy >= 0.95


def test_held_out_critical_recall_does_not_fall_below_what_was_reached() -> None:
    assert score(HELD_OUT).critical_recall >= 0.975


@pytest.mark.xfail(
    strict=True, reason="critical recall on the held-out part is 0.975 (39/40), the goal is 1.0"
)
def test_held_out_critical_recall_meets_the_goal() -> None:
    assert score(HELD_OUT).critical_recall == 1.0


def test_development_part_stays_learnt() -> None:
    scores = score(DEVELOPMENT)
    assert scores.accuracy >= 0.98
    assert scores.critical_recall == 1.0
