"""Counters, histograms and gauges for operators, served as Prometheus text on ``/metrics``.

``prometheus_client`` keeps and renders them, in a :class:`prometheus_client.CollectorRegistry` of
this process's own rather than the library's global one: a library imported alongside could
register there, and tests build a :class:`Metrics` of their own to count from zero. In the embedded
run the three services share the process's :data:`METRICS` and each line says which service counted
it. Labels are low-cardinality by construction (route patterns, event types, outcomes), never a
path, reference or anything a worker wrote. A gauge is a function read at every scrape, so it
always shows the current value of whatever it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

Labels = tuple[tuple[str, str], ...]
Read = Callable[[], float]

# Prometheus' text format (version 0.0.4), which every scraper reads and generate_latest writes;
# the library's CONTENT_TYPE_LATEST names version 1.0.0 in the release pinned here.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# A ``<name>_created`` series beside every counter tells a scraper nothing the counter's resets do
# not; the switch is the library's own and process-wide, like this module's registry.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in 0.26

GAUGE_HELP = {
    "grievance_intake_spool_depth": "Events waiting in intake's spool for the broker (the whole spool).",
    "grievance_intake_spool_oldest_age_seconds": "Seconds the oldest event in intake's spool has waited.",
}

# Request latency: from a few milliseconds (a status page) to the providers' webhook timeouts
# (Twilio gives up after 15 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)


class _ReadGauges(Collector):
    """Gauges whose value is read at each scrape, registered and removed by whoever owns the reading."""

    def __init__(self) -> None:
        self._reads: dict[str, dict[Labels, Read]] = {}

    def add(self, name: str, labels: Labels, read: Read) -> Callable[[], None]:
        self._reads.setdefault(name, {})[labels] = read

        def remove() -> None:
            if self._reads.get(name, {}).get(labels) is read:
                del self._reads[name][labels]

        return remove

    def read(self, name: str, labels: Labels) -> float | None:
        read = self._reads.get(name, {}).get(labels)
        return read() if read is not None else None

    def collect(self) -> Iterator[Metric]:
        for name, series in sorted(self._reads.items()):
            if not series:
                continue
            names = [key for key, _ in next(iter(series))]
            family = GaugeMetricFamily(name, GAUGE_HELP.get(name, name), labels=names)
            for labels, read in sorted(series.items()):
                family.add_metric([value for _, value in labels], read())
            yield family

    def describe(self) -> Iterator[Metric]:
        return iter(())  # the names come and go with their owners: nothing to reserve


class Metrics:
    """The metric families of one process, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "grievance_http_requests",
            "HTTP requests answered, by service, method, route pattern and status.",
            ("service", "method", "route", "status"),
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "grievance_http_request_duration_seconds",
            "Seconds from a request's arrival to its answer, by service, method and route pattern.",
            ("service", "method", "route"),
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.connections_closed = Counter(
            "grievance_http_connections_closed",
            "Connections closed by the listener's bounds, by reason (head_timeout, per_client).",
            ("reason",),
            registry=self.registry,
        )
        self.events_published = Counter(
            "grievance_events_published",
            "Events the broker confirmed, by event type.",
            ("type",),
            registry=self.registry,
        )
        self.events_handled = Counter(
            "grievance_events_handled",
            "Deliveries handled, by event type and outcome (ack, reject, requeue).",
            ("type", "outcome"),
            registry=self.registry,
        )
        self._gauges = _ReadGauges()
        self.registry.register(self._gauges)
        # The children of each label set, looked up once: ``labels()`` takes a lock and builds a
        # key on every call, four times the cost of the count itself on intake's request path.
        self._requests: dict[tuple[str, str, str, int], tuple[Counter, Histogram]] = {}
        self._published: dict[str, Counter] = {}
        self._handled: dict[tuple[str, str], Counter] = {}

    def gauge(self, name: str, labels: Labels, read: Read) -> Callable[[], None]:
        """Show ``read()`` under ``name`` at every scrape, until the returned function is called.

        A later registration under the same name and labels takes over; removing the earlier one
        then leaves it in place.
        """
        return self._gauges.add(name, labels, read)

    def value(self, name: str, labels: Labels) -> float:
        """One sample as a scrape would show it (``name`` with its ``_total`` or ``_count``); 0 if
        none."""
        gauge = self._gauges.read(name, labels)
        if gauge is not None:
            return gauge
        sample = self.registry.get_sample_value(name, dict(labels))
        return 0.0 if sample is None else sample

    def render(self) -> bytes:
        """The Prometheus text exposition format (version 0.0.4)."""
        return generate_latest(self.registry)

    def count_request(self, service: str, method: str, route: str, status: int, seconds: float) -> None:
        key = (service, method, route, status)
        children = self._requests.get(key)
        if children is None:
            children = self._requests[key] = (
                self.http_requests.labels(service, method, route, str(status)),
                self.http_latency.labels(service, method, route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def count_published(self, event_type: str) -> None:
        child = self._published.get(event_type)
        if child is None:
            child = self._published[event_type] = self.events_published.labels(event_type)
        child.inc()

    def count_handled(self, event_type: str, outcome: str) -> None:
        key = (event_type, outcome)
        child = self._handled.get(key)
        if child is None:
            child = self._handled[key] = self.events_handled.labels(event_type, outcome)
        child.inc()


METRICS = Metrics()


def count_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    METRICS.count_request(service, method, route, status, seconds)


def count_closed(reason: str) -> None:
    METRICS.connections_closed.labels(reason).inc()


def count_published(event_type: str) -> None:
    METRICS.count_published(event_type)


def count_handled(event_type: str, outcome: str) -> None:
    METRICS.count_handled(event_type, outcome)
