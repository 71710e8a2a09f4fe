"""What several drills do alike: run a fault script under load, and the expectations about outages.

A fault script marks the drill's clock: ``fault`` when the fault is in place (the broker is down, the
alarm raised, the path blackholed), ``heal`` when it is gone again (the broker serves, the alarm is
cleared). Expectations about the window between them are read off the answers' start times.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable

from tests.drills.fleet import Exit
from tests.drills.oracle import Numbers
from tests.drills.system import DrillSystem
from tests.drills.traffic import Answer, Grievance, make_grievances

# How long a service may take to exit after SIGTERM, under load or with the broker away: long
# enough to finish the requests and deliveries in flight, short enough for an orchestrator's
# grace period (Kubernetes and docker compose give 30 s and 10 s by default).
SIGTERM_BOUND = 10.0
# Answers succeed again this soon after the broker is back: aio-pika's robust connection retries
# every 5 s, and a reconnect declares the topology again before the bus reports ready.
RECOVERY_BOUND = 15.0
# Grievances sent after a heal that came once the load had ended.
AFTER_HEAL = 12
# Marked expectations: they hold once intake spools grievances to the store while the broker
# cannot take them (store-and-forward), and fail until then.
SPOOLING = "SPOOLING"


async def under_load(
    system: DrillSystem, grievances: list[Grievance], script: Callable[[], Awaitable[None]], **load: float
) -> None:
    """Send ``grievances`` while ``script`` breaks and heals the system; return once all are settled.

    When the heal came after the load had ended (a broker node restarting slowly on a loaded
    machine), a few more grievances are sent and added to ``grievances``: the drill must see answers
    to requests sent after the fault as well, or it proves no recovery.
    """
    task = asyncio.create_task(system.load(grievances, **load).run())
    try:
        await script()
    except BaseException:
        task.cancel()
        raise
    await task
    healed = system.clock.marks.get("heal")
    if healed is not None and not any(a.started >= healed for g in grievances for a in g.answers):
        after = make_grievances(AFTER_HEAL, start=len(grievances))
        grievances.extend(after)
        await system.load(after, **load).run()


def answers_between(
    grievances: list[Grievance], start: float, end: float, channel: str | None = None
) -> list[Answer]:
    return [
        a
        for g in grievances
        if channel is None or g.channel == channel
        for a in g.answers
        if start <= a.started < end
    ]


def window(system: DrillSystem, grievances: list[Grievance], channel: str | None = None) -> list[Answer]:
    marks = system.clock.marks
    return answers_between(grievances, marks["fault"], marks["heal"], channel)


def statuses(answers: list[Answer]) -> dict[str, int]:
    return {str(k): v for k, v in Counter(a.status for a in answers).items()}


def expect_sms_spooled(system: DrillSystem, grievances: list[Grievance]) -> None:
    """[SPOOLING] Every SMS sent while the broker was away was answered 200 (and so became a case)."""
    sent = window(system, grievances, "sms")
    refused = [a for a in sent if not a.ok]
    system.expect(bool(sent), "no SMS was sent while the broker was away; the drill proves nothing")
    system.expect(
        not refused,
        f"[{SPOOLING}] {len(refused)} of {len(sent)} SMS sent while the broker was away were answered "
        f"{statuses(refused)} instead of 200: intake does not spool grievances it cannot publish",
    )


def expect_recovery(system: DrillSystem, numbers: Numbers, after: str) -> None:
    system.expect(
        numbers.recovery is not None and numbers.recovery <= RECOVERY_BOUND,
        f"answers succeeded again {numbers.recovery} s after {after} (bound {RECOVERY_BOUND:.0f} s)",
    )


def expect_answers_during_fault(system: DrillSystem, grievances: list[Grievance]) -> None:
    """The drill really broke something: at least one request was sent while the fault lasted."""
    system.expect(bool(window(system, grievances)), "no request was sent while the fault lasted")


def latency_summary(answers: list[Answer]) -> dict[str, float]:
    if not answers:
        return {}
    times = sorted(a.elapsed for a in answers)
    return {
        "count": len(times),
        "median_s": round(statistics.median(times), 3),
        "max_s": round(times[-1], 3),
    }


async def terminate_within(system: DrillSystem, replica: str, bound: float = SIGTERM_BOUND) -> Exit:
    """SIGTERM a replica and expect it to exit, cleanly, within ``bound`` seconds."""
    exit = await system.fleet[replica].terminate(bound + 5)
    system.expect(
        exit.code == 0 and exit.seconds <= bound,
        f"{replica} took {exit.seconds:.1f} s to exit after SIGTERM (bound {bound:.0f} s): {exit.how}, "
        f"exit code {exit.code}",
    )
    return exit
