"""The metrics registry: counters, and gauges read at every scrape."""

from __future__ import annotations

from shared.metrics import Registry

LABELS = (("service", "intake"),)


def test_a_gauge_shows_what_it_reads_at_each_render_between_the_counters():
    registry = Registry()
    registry.inc("b_total", (("type", "x"),))
    registry.inc("z_total", (("type", "y"),), 2)
    readings = iter([3.0, 7.5])
    registry.gauge("m_depth", LABELS, lambda: next(readings))
    first, second = registry.render(), registry.render()
    assert first.splitlines() == [
        "# HELP b_total b_total",
        "# TYPE b_total counter",
        'b_total{type="x"} 1',
        "# HELP m_depth m_depth",
        "# TYPE m_depth gauge",
        'm_depth{service="intake"} 3',
        "# HELP z_total z_total",
        "# TYPE z_total counter",
        'z_total{type="y"} 2',
    ]
    assert 'm_depth{service="intake"} 7.5' in second.splitlines()


def test_removing_a_gauge_leaves_a_later_registration_in_place():
    registry = Registry()
    remove_first = registry.gauge("m_depth", LABELS, lambda: 1.0)
    remove_second = registry.gauge("m_depth", LABELS, lambda: 2.0)
    remove_first()
    assert registry.value("m_depth", LABELS) == 2.0
    remove_second()
    assert "m_depth" not in registry.render()
    assert registry.value("m_depth", LABELS) == 0.0
