"""The drills' oracle: what the clients were told, held against what the system holds afterwards.

- Every grievance answered 2xx is exactly one case: found in the store by its text (each grievance
  has a text of its own, so a second case for it shows up whatever id it got), with the reference
  the client was given, and listed by the committee API; and the escalation service holds a record
  for every case (its ``case.assigned`` was not lost between the router and escalation).
- A grievance never answered 2xx may be a case (the broker took the event but the confirm was
  lost) or not, but never two.
- Resends with the same key were answered with the same reference.
- No answer but 2xx and 503; no request waited past the publish bound.

The numbers of every drill (:class:`Numbers`) go to the run's summary and to docs/reliability.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from shared.store import Database
from tests.drills.traffic import Answer, DrillClock, Grievance

# How long the backlog may take to become cases once the load and the fault are over.
SETTLE_SECONDS = 60.0


@dataclass
class Numbers:
    drill: str
    requests: int = 0
    ok: int = 0
    unavailable: int = 0  # 503
    no_answer: int = 0  # refused, reset or timed out before any HTTP answer
    other: dict[str, int] = field(default_factory=dict)  # any other status: always a failure
    grievances: int = 0
    accepted: int = 0
    lost: int = 0
    duplicated: int = 0
    late: int = 0  # cases of grievances that were never answered 2xx (the confirm was lost)
    records_missing: int = 0
    committee_api_mismatch: int = 0
    max_latency: float = 0.0
    recovery: float | None = None  # from the end of the fault to the first 2xx again
    backlog: float | None = None  # from the end of the fault until what was accepted before it is cases
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Holdings:
    """What the store and the committee API hold for the drill's grievances."""

    cases_by_text: dict[str, list[dict[str, Any]]]
    record_case_ids: set[str]
    listed_references: set[str] | None


async def holdings(
    db: Database, router_url: str | None, token: str | None, session: aiohttp.ClientSession
) -> Holdings:
    """The committee API's listing first, then the store: a case created in between is in the store."""
    listed = None
    if router_url and token:
        listed = await committee_references(session, router_url, token)
    by_text: dict[str, list[dict[str, Any]]] = {}
    cursor = db["cases"].find({}, {"text": 1, "reference": 1, "created_at": 1, "grievance_id": 1})
    async for doc in cursor:
        by_text.setdefault(doc.get("text"), []).append(doc)
    records = {doc["case_id"] async for doc in db["case_records"].find({}, {"case_id": 1})}
    return Holdings(by_text, records, listed)


async def committee_references(
    session: aiohttp.ClientSession, router_url: str, token: str
) -> set[str] | None:
    """Every reference the committee's API lists, page by page (None when the API does not answer)."""
    found: set[str] = set()
    page = 1
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        try:
            async with session.get(
                f"{router_url}/api/v1/cases",
                params={"per_page": "100", "page": str(page)},
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=20),
            ) as response:
                if response.status != 200:
                    return None
                body = await response.json()
        except (aiohttp.ClientError, TimeoutError):
            return None
        found.update(item["reference"] for item in body["items"])
        if page * 100 >= body["total"] or not body["items"]:
            return found
        page += 1


def complete(grievances: list[Grievance], held: Holdings) -> bool:
    """Every accepted grievance is a case, and every case of the drill has its escalation record."""
    for g in grievances:
        if g.accepted and not held.cases_by_text.get(g.text):
            return False
    cases = [doc for g in grievances for doc in held.cases_by_text.get(g.text, [])]
    return all(doc["_id"] in held.record_case_ids for doc in cases)


def judge(
    name: str,
    grievances: list[Grievance],
    held: Holdings,
    clock: DrillClock,
    *,
    heal: str | None = None,
) -> Numbers:
    answers: list[Answer] = [a for g in grievances for a in g.answers]
    numbers = Numbers(drill=name, requests=len(answers), grievances=len(grievances))
    statuses = Counter(a.status for a in answers)
    numbers.ok = sum(n for s, n in statuses.items() if s is not None and 200 <= s < 300)
    numbers.unavailable = statuses.get(503, 0)
    numbers.no_answer = statuses.get(None, 0)
    numbers.other = {
        str(s): n for s, n in statuses.items() if s is not None and not 200 <= s < 300 and s != 503
    }
    numbers.max_latency = round(max((a.elapsed for a in answers), default=0.0), 3)
    all_cases = []
    lost_ones: list[Grievance] = []
    for g in grievances:
        cases = held.cases_by_text.get(g.text, [])
        all_cases += cases
        if g.accepted:
            numbers.accepted += 1
            if not cases or (len(cases) == 1 and cases[0]["reference"] not in g.references):
                numbers.lost += 1  # no case, or none the worker's reference finds
                lost_ones.append(g)
            elif len(cases) > 1 or len(g.references) > 1:
                numbers.duplicated += 1
        elif len(cases) > 1:
            numbers.duplicated += 1
        elif cases:
            numbers.late += 1
    numbers.records_missing = sum(1 for doc in all_cases if doc["_id"] not in held.record_case_ids)
    # Enough to find them in the services' logs (which name cases by id and grievances by reference).
    numbers.extra["lost_examples"] = [_describe(g) for g in lost_ones[:10]]
    numbers.extra["recordless_case_ids"] = [
        doc["_id"] for doc in all_cases if doc["_id"] not in held.record_case_ids
    ][:10]
    if held.listed_references is None:
        numbers.committee_api_mismatch = -1
    else:
        stored = {doc["reference"] for doc in all_cases}
        accepted = {r for g in grievances if g.accepted for r in g.references}
        listed = held.listed_references
        numbers.committee_api_mismatch = len((listed - stored) | ((accepted & stored) - listed))
    if heal is not None and heal in clock.marks:
        numbers.recovery, numbers.backlog = recovery(grievances, held, clock, clock.marks[heal])
    numbers.seconds = round(clock.now(), 1)
    return numbers


def _describe(grievance: Grievance) -> dict[str, Any]:
    return {
        "channel": grievance.channel,
        "references": sorted(grievance.references),
        "answers": [(a.intake, round(a.started, 2), a.status) for a in grievance.answers],
    }


def recovery(
    grievances: list[Grievance], held: Holdings, clock: DrillClock, healed: float
) -> tuple[float | None, float]:
    """Seconds from the end of the fault until answers succeed again, and until the backlog is cases.

    The first is the first 2xx to a request sent after the fault ended (None: there was none); the
    second is when the last case of a grievance accepted before that moment was created (the
    router's own timestamp).
    """
    after = [a.started + a.elapsed for g in grievances for a in g.answers if a.ok and a.started >= healed]
    answering = round(min(after) - healed, 2) if after else None
    backlog = 0.0
    for g in grievances:
        if not any(a.ok and a.started + a.elapsed <= healed for a in g.answers):
            continue
        for doc in held.cases_by_text.get(g.text, []):
            created = doc.get("created_at")
            if isinstance(created, datetime):
                backlog = max(backlog, created.timestamp() - clock.wall(healed))
    return answering, round(backlog, 2)
