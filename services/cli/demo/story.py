"""Plays the scenario against a running system and checks what a monitor would check.

The steps run in the order real people would act; afterwards the demo polls the APIs until every
expectation holds or the deadline passes, so a slow machine only makes it slower, never wrong.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from services.cli.demo import hints
from services.cli.demo import scenario as s
from services.cli.demo.client import DemoFailure, System
from services.cli.text import table
from shared.durations import human
from shared.invocation import grievance


@dataclass
class Tracked:
    grievance: s.Grievance
    reference: str | None = None
    committee: str | None = None
    case: dict[str, Any] | None = None
    reasons: set[str] = field(default_factory=set)
    snapshot: dict[str, Any] | None = None  # the NGO's view, for cases no committee holds
    purposes: list[str] = field(default_factory=list)


Check = Callable[[], str | None]  # None when the expectation holds, else what is missing
ROUTING = 20.0  # seconds for the router to take eight grievances (it takes well under one)


class Story:
    def __init__(self, system: System, numbers: dict[str, list[str]], timeout: float, out: TextIO) -> None:
        self.system = system
        self.numbers = numbers
        self.timeout = timeout
        self.out = out
        self.cases = {g.key: Tracked(g) for g in s.GRIEVANCES}
        self.phones = {g.key: s.fresh_phone() for g in s.GRIEVANCES if g.channel == "sms"}
        self.failures: list[str] = []
        self.advice: str | None = None  # what to do about the outcomes that did not happen

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    # -- the steps -----------------------------------------------------------------------------------

    async def play(self) -> list[str]:
        """Run every step; return the expectations that did not hold (empty: the demo passed)."""
        await self.submit()
        await self.wait_until_routed()
        await self.committees_act()
        self.check_demo_deadlines()
        await self.wait_for_outcomes()
        self.say("")
        self.say(self.render())
        return self.failures

    async def submit(self) -> None:
        self.say(
            f"1. {len(self.cases)} workers report grievances (SMS through Twilio webhooks, and the web form)"
        )
        for tracked in self.cases.values():
            g = tracked.grievance
            if g.channel == "sms":
                tracked.reference = await self.system.sms(self.phones[g.key], self.number_of(g), g.text)
            else:
                tracked.reference = (await self.system.web_form(g.factory, g.text, g.language))["reference"]
            how = "SMS to the factory's number" if g.channel == "sms" else "web form"
            self.say(f"   {g.key:<22} {how:<28} -> {tracked.reference or 'no reference!'}")
            if tracked.reference is None:
                self.failures.append(f"{g.key}: {hints.NO_REFERENCE}")

    def number_of(self, grievance: s.Grievance) -> str:
        numbers = self.numbers.get(grievance.factory) or []
        if not numbers:
            raise DemoFailure(hints.no_sms_number(grievance.factory))
        return numbers[min(grievance.number, len(numbers) - 1)]

    async def wait_until_routed(self) -> None:
        """Committees can act only on routed cases: the ones that are not are reported here, with why."""
        self.say("2. the router assigns each case to a factory committee (or the NGO)")
        waited = min(self.timeout, ROUTING)
        missing = await self.poll(self.unrouted, deadline=waited)
        if missing:
            problem = f"routing: {hints.not_routed(missing, human(waited))}"
            self.say(f"   {problem}")
            self.failures.append(problem)

    def unrouted(self) -> list[str]:
        """The cases no committee of the tokens file holds and the NGO does not see."""
        return [
            t.grievance.key for t in self.cases.values() if t.reference and not (t.committee or t.reasons)
        ]

    async def committees_act(self) -> None:
        self.say(
            "3. committees act: one acknowledges, one replies, one resolves; that worker answers 否 (NO)"
        )
        acknowledged = self.cases[s.ACKNOWLEDGED]
        if await self.act(acknowledged, "acknowledge"):
            self.say(f"   {acknowledged.committee} acknowledged {acknowledged.reference}")
        replied = self.cases[s.REPLIED]
        if await self.act(replied, "messages", {"text": s.REPLY}):
            self.say(f"   {replied.committee} replied on {replied.reference}")
        disputed = self.cases[s.DISPUTED]
        if await self.act(disputed, "acknowledge") and await self.act(
            disputed, "resolve", {"resolution": s.RESOLUTION}
        ):
            self.say(f"   {disputed.committee} resolved {disputed.reference}; the worker is asked to confirm")
            g = disputed.grievance
            await self.system.sms(self.phones[g.key], self.number_of(g), s.DISPUTE)
            self.say(f"   the worker of {disputed.reference} answers 否 by SMS")

    async def act(self, tracked: Tracked, action: str, body: dict[str, str] | None = None) -> bool:
        if tracked.committee is None or tracked.reference is None:
            self.failures.append(f"{tracked.grievance.key}: {hints.no_committee(action, tracked.reasons)}")
            return False
        try:
            tracked.case = await self.system.committee_action(
                tracked.committee, tracked.reference, action, body
            )
        except DemoFailure as exc:
            self.failures.append(f"{tracked.grievance.key}: {exc}")
            return False
        return True

    def check_demo_deadlines(self) -> None:
        """Fail early, with the fix, when the system runs real deadlines (the overdue step would hang)."""
        case = self.cases[s.OVERDUE].case or {}
        due = case.get("ack_due_at")
        if not due:
            return
        wait = (datetime.fromisoformat(due) - datetime.now(UTC)).total_seconds()
        if wait > self.timeout:
            raise DemoFailure(
                f"the unanswered case is due in {human(wait)}, beyond --timeout {human(self.timeout)}: run the "
                f"system with short deadlines ({grievance('serve all --demo-sla')}, or GRIEVANCE_SLA=...)"
            )
        # Committees see deadlines rounded down (to the hour): a demo deadline reads as due already.
        when = f"passes in {human(wait)}" if wait > 0 else "is near (committees see it rounded down)"
        self.say(f"4. nobody answers {self.cases[s.OVERDUE].reference}; its deadline {when}")

    async def wait_for_outcomes(self) -> None:
        self.say("5. waiting for the escalations the NGO should see")
        problems = await self.poll(self.unmet, deadline=self.timeout)
        self.failures += problems
        if problems:
            self.advice = hints.outcomes_missed(human(self.timeout))

    # -- observing -----------------------------------------------------------------------------------

    async def poll(self, check: Callable[[], list[str]], deadline: float) -> list[str]:
        """Refresh until ``check`` finds nothing missing or ``deadline`` seconds pass; what is missing."""
        end = time.monotonic() + deadline
        while True:
            await self.refresh()
            missing = check()
            if not missing or time.monotonic() > end:
                return missing
            await asyncio.sleep(0.5)

    async def refresh(self) -> None:
        by_reference: dict[str, list[dict[str, Any]]] = {}
        for item in await self.system.escalations():
            by_reference.setdefault(str(item.get("reference")), []).append(item)
        for tracked in self.cases.values():
            if tracked.reference is None:
                continue
            found = await self.system.find_case(tracked.reference)
            if found is not None:
                tracked.committee, tracked.case = found
            items = by_reference.get(tracked.reference, [])
            tracked.reasons = {str(i.get("reason")) for i in items}
            tracked.snapshot = items[0] if items else None
            tracked.purposes = await self.system.outbox_purposes(tracked.reference)

    def unmet(self) -> list[str]:
        return [f"{key}: {problem}" for key, check in self.expectations() if (problem := check())]

    def expectations(self) -> list[tuple[str, Check]]:
        c = self.cases

        def fire_exit() -> str | None:
            t = c[s.FIRE_EXIT]
            if (self.field(t, "category"), self.field(t, "severity")) != ("health_safety", "critical"):
                return "the locked fire exit (安全出口被锁) is not classified health_safety/critical"
            if "critical" not in t.reasons:
                return "the locked fire exit was not escalated to the NGO as critical"
            if self.system.outbox and "escalation_notice" not in t.purposes:
                return "the worker was not told that an independent monitor follows the case"
            return None

        def acknowledged() -> str | None:
            t = c[s.ACKNOWLEDGED]
            if self.field(t, "status") != "acknowledged":
                return f"status is {self.field(t, 'status')}, not acknowledged"
            return "acknowledged in time, yet escalated ack_overdue" if "ack_overdue" in t.reasons else None

        def replied() -> str | None:
            t = c[s.REPLIED]
            messages = (t.case or {}).get("messages", [])
            if not any(m.get("direction") == "committee" and m.get("text") == s.REPLY for m in messages):
                return "the committee's reply is not in the case thread"
            return None

        def overdue() -> str | None:
            return None if "ack_overdue" in c[s.OVERDUE].reasons else "not escalated as ack_overdue"

        def retaliation() -> str | None:
            t = c[s.RETALIATION]
            if "retaliation" not in t.reasons:
                return "a threat of retaliation did not go to the NGO"
            return f"a factory committee ({t.committee}) holds the case" if t.committee else None

        def disputed() -> str | None:
            t = c[s.DISPUTED]
            actions = [e.get("action") for e in (t.case or {}).get("timeline", [])]
            if "disputed" not in actions:
                return "the worker's 否 did not dispute the resolution (needs the router's SMS dialogue)"
            return None if "disputed" in t.reasons else "the disputed case was not escalated"

        return [
            (s.FIRE_EXIT, fire_exit),
            (s.ACKNOWLEDGED, acknowledged),
            (s.REPLIED, replied),
            (s.OVERDUE, overdue),
            (s.RETALIATION, retaliation),
            (s.DISPUTED, disputed),
        ]

    @staticmethod
    def field(tracked: Tracked, name: str) -> Any:
        source = tracked.case or tracked.snapshot or {}
        if name == "status" and tracked.case is None:
            return source.get("case_status")
        return source.get(name)

    def render(self) -> str:
        rows = []
        for t in self.cases.values():
            rows.append(
                [
                    t.grievance.key,
                    t.reference or "-",
                    str(self.field(t, "factory_id") or t.grievance.factory),
                    t.committee or ("(none: NGO)" if t.reasons else "-"),
                    str(self.field(t, "category") or "-"),
                    str(self.field(t, "severity") or "-"),
                    str(self.field(t, "status") or "-"),
                    ", ".join(sorted(t.reasons)) or "-",
                ]
            )
        header = ["CASE", "REFERENCE", "FACTORY", "COMMITTEE", "CATEGORY", "SEVERITY", "STATUS", "ESCALATION"]
        return table(header, rows)
