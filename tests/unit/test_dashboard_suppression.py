"""The dashboard's k-rule: small cohorts hidden, and no hidden count recoverable by subtraction."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from services.escalation.dashboard_suppression import COUNTS, RATES, Released, Row, release
from services.escalation.stats import Figures, Table


def table(groups: dict[tuple[str | None, str], Figures]) -> Table:
    """A table whose factories and total are the sums of its groups, as the statistics make them."""
    factories: dict[str | None, Figures] = {}
    total = Figures()
    for (factory, _), figures in groups.items():
        for whole in (factories.setdefault(factory, Figures()), total):
            whole.add({name: getattr(figures, name) for name in _ADDED})
    return Table.of(groups, factories, total)


_ADDED = (
    "received",
    "ack_decided",
    "ack_on_time",
    "resolve_decided",
    "resolve_on_time",
    "escalated",
    "disputed",
    "reopened",
    "resolved",
)


def cases(received: int, **counts: Any) -> Figures:
    return Figures(received=received, **counts)


def rows(released: Released) -> list[Row]:
    return [*released.groups, *released.factories, released.total]


def by_key(released: Released) -> dict[tuple[str, str | None, str | None], Row]:
    return {(r.level, r.factory_id, r.category): r for r in rows(released)}


def test_a_small_group_shows_nothing_and_a_large_one_everything() -> None:
    released = release(
        table(
            {
                ("GZ-001", "wages"): cases(3, escalated=1, ack_decided=3, ack_on_time=3),
                ("GZ-001", "health_safety"): cases(
                    12, escalated=3, disputed=0, ack_decided=8, ack_on_time=6, resolved=4
                ),
                ("GZ-001", "working_hours"): cases(6, escalated=1, disputed=2, ack_decided=5, ack_on_time=5),
                ("GZ-002", "wages"): cases(9, ack_decided=9, ack_on_time=9, resolved=9, median_days=2.5),
            }
        ),
        5,
    )
    rows_ = by_key(released)
    small = rows_[("group", "GZ-001", "wages")]
    assert all(f.mark == "fewer_than_k" and f.value is None for _, f in small.figures())
    large = rows_[("group", "GZ-001", "health_safety")]
    assert (large.received.value, large.escalated.value, large.disputed.value) == (12, 3, 0)
    # The next smallest of the factory keeps the small group's counts from its factory's sums.
    beside = rows_[("group", "GZ-001", "working_hours")]
    assert beside.received.mark == beside.escalated.mark == beside.disputed.mark == "withheld"
    # Rates too: 6 of 8 and the factory's rate would give the small group's away with its cohort.
    assert beside.acknowledged_on_time_pct.mark == "withheld"
    assert large.acknowledged_on_time_pct.value == 75.0
    # Four resolved: the median's own cohort is small, whatever the group's size.
    assert large.median_days_to_resolve.mark == "fewer_than_k"
    assert rows_[("group", "GZ-002", "wages")].median_days_to_resolve.value == 2.5


def test_a_single_hidden_count_beside_its_sum_takes_the_smallest_nonzero_one_with_it() -> None:
    released = release(
        table(
            {
                ("GZ-001", "wages"): cases(2),
                ("GZ-001", "working_hours"): cases(30),
                ("GZ-001", "health_safety"): cases(7),
                ("GZ-002", "wages"): cases(40),
            }
        ),
        5,
    )
    rows_ = by_key(released)
    assert rows_[("group", "GZ-001", "wages")].received.mark == "fewer_than_k"
    assert rows_[("group", "GZ-001", "health_safety")].received.mark == "withheld"
    assert rows_[("group", "GZ-001", "working_hours")].received.value == 30
    assert rows_[("factory", "GZ-001", None)].received.value == 39
    assert released.total.received.value == 79


def test_a_factory_of_one_small_group_is_hidden_and_protected_at_the_total() -> None:
    released = release(
        table({("GZ-001", "wages"): cases(3), ("GZ-002", "wages"): cases(6), ("SZ-002", "wages"): cases(20)}),
        5,
    )
    rows_ = by_key(released)
    assert rows_[("factory", "GZ-001", None)].received.mark == "fewer_than_k"
    # GZ-002 is withheld at the total, and its only group with it (it equals its factory).
    assert rows_[("factory", "GZ-002", None)].received.mark == "withheld"
    assert rows_[("group", "GZ-002", "wages")].received.mark == "withheld"
    assert rows_[("factory", "SZ-002", None)].received.value == 20
    assert released.total.received.value == 29


def test_a_zero_does_not_protect_a_hidden_count() -> None:
    """Escalations 0 beside the hidden one: withholding a zero would leave 'the rest' as the answer."""
    released = release(
        table(
            {
                ("GZ-001", "wages"): cases(3, escalated=1),
                ("GZ-001", "working_hours"): cases(10, escalated=0),
                ("GZ-001", "health_safety"): cases(10, escalated=0),
                ("GZ-002", "wages"): cases(10, escalated=2),
            }
        ),
        5,
    )
    rows_ = by_key(released)
    gz = rows_[("factory", "GZ-001", None)]
    assert gz.escalated.mark == "withheld"
    assert rows_[("group", "GZ-001", "working_hours")].escalated.value == 0
    # The factory's escalations now hidden, the total asks for one more factory's: GZ-002's.
    assert rows_[("factory", "GZ-002", None)].escalated.mark == "withheld"
    assert rows_[("group", "GZ-002", "wages")].escalated.mark == "withheld"


def test_nothing_in_scope_hides_nothing() -> None:
    released = release(Table.of({}, {}, Figures()), 5)
    assert released.groups == () and released.factories == ()
    assert released.total.received.value == 0 and released.total.acknowledged_on_time_pct.value is None
    assert not any(f.suppressed for _, f in released.total.figures())


def test_k_of_one_hides_nothing_and_k_below_one_is_refused() -> None:
    released = release(table({("GZ-001", "wages"): cases(1, ack_decided=1, ack_on_time=1)}), 1)
    assert not any(f.suppressed for row in rows(released) for _, f in row.figures())
    with pytest.raises(ValueError):
        release(Table.of({}, {}, Figures()), 0)


def recoverable(released: Released, truth: Table, name: str) -> list[tuple[str, ...]]:
    """The hidden figures ``name`` that one sum and the figures shown give away (a rate by its
    numerator and cohort, which add up as counts do)."""
    shown = {
        ("total",)
        if r.level == "total"
        else ("factory", str(r.factory_id))
        if r.level == "factory"
        else ("group", str(r.factory_id), str(r.category))
        for r in rows(released)
        if not r.figure(name).suppressed
    }
    sums: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = [
        (("total",), [("factory", str(f)) for f in truth.factories])
    ]
    sums += [
        (("factory", str(f)), [("group", str(g), c) for g, c in truth.groups if g == f])
        for f in truth.factories
    ]
    found = []
    for parent, parts in sums:
        unknown = [n for n in (parent, *parts) if n not in shown]
        if len(unknown) == 1:
            found.append(unknown[0])
    return found


@pytest.mark.parametrize("seed", range(40))
def test_no_hidden_count_is_recoverable_and_every_small_cohort_is_hidden(seed: int) -> None:
    rng = random.Random(seed)
    factories = [f"F-{i:03d}" for i in range(rng.randint(1, 5))]
    categories = ["wages", "working_hours", "health_safety", "harassment_abuse", "other"]
    groups: dict[tuple[str | None, str], Figures] = {}
    for factory, category in itertools.product(factories, categories):
        if rng.random() < 0.6:
            received = rng.choice([1, 2, 3, 4, 5, 6, 9, 15, 40])
            groups[(factory, category)] = cases(
                received,
                escalated=rng.randint(0, received),
                disputed=rng.randint(0, received),
                reopened=rng.randint(0, received),
                ack_decided=(decided := rng.randint(0, received)),
                ack_on_time=rng.randint(0, decided),
            )
    if not groups:
        groups[(factories[0], "wages")] = cases(2)
    truth = table(groups)
    k = rng.choice([2, 5, 10])
    released = release(truth, k)
    for name in (*COUNTS, *RATES):
        assert recoverable(released, truth, name) == [], name
    for row, figures in zip(
        rows(released), [*truth.groups.values(), *truth.factories.values(), truth.total], strict=True
    ):
        if 0 < figures.received < k:
            assert all(f.mark == "fewer_than_k" for _, f in row.figures())
        if 0 < figures.ack_decided < k:
            assert row.acknowledged_on_time_pct.mark == "fewer_than_k"
        for name, f in row.figures():
            assert (f.value is None) or not f.suppressed, name
            if not f.suppressed and name in COUNTS:
                assert f.value == getattr(figures, name)
