"""What the services leave behind for a drill to read: their log lines and their ``/metrics``.

Log lines are checked for personal data (the same oracle as the test run's own log, with every text
and number the drill sent registered as sensitive), and warnings are counted by kind, so a drill's
numbers show what each fault made the services say. The event counters show how often events were
published and deliveries handled, which is how a republish storm would show.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.drills.fleet import ServiceProcess
from tests.fakes import find_leaks

# aiormq's warning for a publisher confirm that arrives for a publish nobody waits for any more.
DELIVERY_TAG_WARNING = "Delivery tag"
# Numbers, addresses and object ids differ from line to line of one warning; counted as one kind.
_GENERIC = re.compile(r"0x[0-9a-f]+|\d+(?:\.\d+)*|\"amqp://[^\"]*\"")
_METRIC = re.compile(r"^grievance_events_(published|handled)_total\{([^}]*)\} ([0-9.e+]+)$", re.MULTILINE)


@dataclass
class LogReport:
    leaks: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    delivery_tag_warnings: int = 0


def read_logs(log_dir: Path) -> LogReport:
    """Every service log of a drill: lines with personal data, and warnings and errors by kind."""
    report = LogReport()
    for path in sorted(log_dir.glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        report.leaks += [f"{path.stem}: {line[:160]}" for line in find_leaks(text)]
        service = path.stem.rsplit("-", 1)[0]
        for line in text.splitlines():
            if DELIVERY_TAG_WARNING in line:
                report.delivery_tag_warnings += 1
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("level") in ("warning", "error", "critical"):
                event = _GENERIC.sub("#", str(record.get("event", "?")))[:70]
                report.warnings[f"{service}: {event}"] += 1
    return report


async def event_counts(
    session: aiohttp.ClientSession, replicas: Iterable[ServiceProcess]
) -> dict[str, float]:
    """Events published and deliveries handled, summed over the replicas still running (from their
    ``/metrics``; a killed replica's counts die with it, so these are lower bounds)."""
    totals: defaultdict[str, float] = defaultdict(float)
    for replica in replicas:
        if not replica.running:
            continue
        try:
            async with session.get(f"{replica.ops_url}/metrics") as response:
                text = await response.text()
        except aiohttp.ClientError:
            continue
        for match in _METRIC.finditer(text):
            kind, labels, value = match.groups()
            if kind == "published":
                totals[f"published {_label(labels, 'type')}"] += float(value)
            else:
                totals[f"handled {_label(labels, 'type')} {_label(labels, 'outcome')}"] += float(value)
    return dict(totals)


def _label(labels: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', labels)
    return found.group(1) if found else "?"
