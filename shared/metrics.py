"""Counters and gauges for operators, served as Prometheus text on ``/metrics`` by every service.

One registry per process: in the embedded run the three services share it and each line says which
service counted it. Labels are low-cardinality by construction (route patterns, event types,
outcomes), never a path, reference or anything a worker wrote. A gauge is a function the registry
calls at every scrape, so it always shows the current value of whatever it reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

Labels = tuple[tuple[str, str], ...]
Read = Callable[[], float]

HELP = {
    "grievance_http_requests_total": "HTTP requests answered, by service, method, route pattern and status.",
    "grievance_events_published_total": "Events the broker confirmed, by event type.",
    "grievance_events_handled_total": "Deliveries handled, by event type and outcome (ack, reject, requeue).",
    "grievance_intake_spool_depth": "Events waiting in intake's spool for the broker (the whole spool).",
    "grievance_intake_spool_oldest_age_seconds": "Seconds the oldest event in intake's spool has waited.",
}


class Registry:
    """Monotonic counters and read-at-scrape gauges, keyed by name and labels."""

    def __init__(self) -> None:
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._gauges: dict[str, dict[Labels, Read]] = defaultdict(dict)

    def inc(self, name: str, labels: Labels, amount: float = 1.0) -> None:
        self._counters[name][labels] += amount

    def value(self, name: str, labels: Labels) -> float:
        if name in self._gauges:
            read = self._gauges[name].get(labels)
            return read() if read is not None else 0.0
        return self._counters.get(name, {}).get(labels, 0.0)

    def gauge(self, name: str, labels: Labels, read: Read) -> Callable[[], None]:
        """Show ``read()`` under ``name`` at every scrape, until the returned function is called.

        A later registration under the same name and labels takes over; removing the earlier one
        then leaves it in place.
        """
        self._gauges[name][labels] = read

        def remove() -> None:
            if self._gauges.get(name, {}).get(labels) is read:
                del self._gauges[name][labels]

        return remove

    def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        families: list[tuple[str, str, list[tuple[Labels, float]]]] = [
            (name, "counter", sorted(series.items())) for name, series in self._counters.items()
        ]
        families += [
            (name, "gauge", sorted((labels, read()) for labels, read in series.items()))
            for name, series in self._gauges.items()
            if series
        ]
        for name, kind, samples in sorted(families, key=lambda family: family[0]):
            lines.append(f"# HELP {name} {HELP.get(name, name)}")
            lines.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                rendered = ",".join(f'{key}="{_escape(val)}"' for key, val in labels)
                lines.append(f"{name}{{{rendered}}} {value:g}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


REGISTRY = Registry()


def count_request(service: str, method: str, route: str, status: int) -> None:
    REGISTRY.inc(
        "grievance_http_requests_total",
        (("service", service), ("method", method), ("route", route), ("status", str(status))),
    )


def count_published(event_type: str) -> None:
    REGISTRY.inc("grievance_events_published_total", (("type", event_type),))


def count_handled(event_type: str, outcome: str) -> None:
    REGISTRY.inc("grievance_events_handled_total", (("type", event_type), ("outcome", outcome)))
