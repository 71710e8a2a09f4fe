"""Counters for operators, served as Prometheus text on ``/metrics`` by every service.

One registry per process: in the embedded run the three services share it and each line says which
service counted it. Labels are low-cardinality by construction (route patterns, event types,
outcomes), never a path, reference or anything a worker wrote.
"""

from __future__ import annotations

from collections import defaultdict

Labels = tuple[tuple[str, str], ...]

HELP = {
    "grievance_http_requests_total": "HTTP requests answered, by service, method, route pattern and status.",
    "grievance_events_published_total": "Events the broker confirmed, by event type.",
    "grievance_events_handled_total": "Deliveries handled, by event type and outcome (ack, reject, requeue).",
}


class Registry:
    """Monotonic counters keyed by name and labels."""

    def __init__(self) -> None:
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))

    def inc(self, name: str, labels: Labels, amount: float = 1.0) -> None:
        self._counters[name][labels] += amount

    def value(self, name: str, labels: Labels) -> float:
        return self._counters.get(name, {}).get(labels, 0.0)

    def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        for name in sorted(self._counters):
            lines.append(f"# HELP {name} {HELP.get(name, name)}")
            lines.append(f"# TYPE {name} counter")
            for labels, value in sorted(self._counters[name].items()):
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
