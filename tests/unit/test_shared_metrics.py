"""The metrics of a process: counters, latency histograms, and gauges read at every scrape."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.metrics import Metrics

LABELS = (("service", "intake"),)


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def test_a_gauge_shows_what_it_reads_at_each_render_beside_the_counters() -> None:
    metrics = Metrics()
    metrics.events_published.labels("grievance.received").inc()
    metrics.events_handled.labels("invalid", "reject").inc(2)
    readings = iter([3.0, 7.5])
    metrics.gauge("grievance_intake_spool_depth", LABELS, lambda: next(readings))
    first, second = metrics.render(), metrics.render()
    lines = first.decode().splitlines()
    assert "# TYPE grievance_events_published_total counter" in lines
    assert 'grievance_events_published_total{type="grievance.received"} 1.0' in lines
    assert 'grievance_events_handled_total{outcome="reject",type="invalid"} 2.0' in lines
    assert "# TYPE grievance_intake_spool_depth gauge" in lines
    assert 'grievance_intake_spool_depth{service="intake"} 3.0' in lines
    assert not any("_created" in line for line in lines)  # no creation-time series beside counters
    assert samples(second)[("grievance_intake_spool_depth", LABELS)] == 7.5


def test_removing_a_gauge_leaves_a_later_registration_in_place() -> None:
    metrics = Metrics()
    remove_first = metrics.gauge("grievance_intake_spool_depth", LABELS, lambda: 1.0)
    remove_second = metrics.gauge("grievance_intake_spool_depth", LABELS, lambda: 2.0)
    remove_first()
    assert metrics.value("grievance_intake_spool_depth", LABELS) == 2.0
    remove_second()
    assert b"grievance_intake_spool_depth" not in metrics.render()
    assert metrics.value("grievance_intake_spool_depth", LABELS) == 0.0


def test_each_registry_counts_on_its_own() -> None:
    one, other = Metrics(), Metrics()
    one.count_request("router", "GET", "/api/v1/cases/{reference}", 200, 0.02)
    labels = (
        ("service", "router"),
        ("method", "GET"),
        ("route", "/api/v1/cases/{reference}"),
        ("status", "200"),
    )
    assert one.value("grievance_http_requests_total", labels) == 1.0
    assert other.value("grievance_http_requests_total", labels) == 0.0


def test_request_latency_falls_into_the_buckets_of_its_route_pattern() -> None:
    metrics = Metrics()
    route = (("method", "POST"), ("route", "/sms/twilio"), ("service", "intake"))
    for seconds in (0.003, 0.2, 12.0):
        metrics.count_request("intake", "POST", "/sms/twilio", 200, seconds)
    seen = samples(metrics.render())
    assert seen[("grievance_http_request_duration_seconds_count", route)] == 3
    assert seen[("grievance_http_request_duration_seconds_sum", route)] == pytest.approx(12.203)
    bucket = "grievance_http_request_duration_seconds_bucket"
    assert seen[(bucket, tuple(sorted((*route, ("le", "0.005")))))] == 1
    assert seen[(bucket, tuple(sorted((*route, ("le", "0.25")))))] == 2
    assert seen[(bucket, tuple(sorted((*route, ("le", "10.0")))))] == 2
    assert seen[(bucket, tuple(sorted((*route, ("le", "15.0")))))] == 3
    assert seen[(bucket, tuple(sorted((*route, ("le", "+Inf")))))] == 3
