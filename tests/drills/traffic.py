"""The drills' clients: workers sending grievances by web form and by Twilio-signed SMS, over HTTP.

A :class:`Grievance` is one worker's one grievance, with a fixed idempotency key (web) or MessageSid
(SMS), a text of its own and, for SMS, a phone number of its own (a second message from the same
number while a case is open would be a follow-up, not a grievance). Every request is recorded as
an :class:`Answer`: when it started, how long it took, the status (or the connection error), and
the reference the answer carried.

:class:`Load` sends grievances at a steady rate with a bound on the requests in flight and on the
total, the way gateways and browsers do: an answer of 503 or no answer is sent again later with the
same key, and some accepted grievances are sent again anyway (a gateway that missed the answer), so
every drill also checks that a resend never makes a second case. Nothing here looks inside a
service: only HTTP answers and, afterwards, the store and the broker.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

import aiohttp
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from shared.ids import grievance_id_for, reference_for
from tests.fakes import sensitive

TWILIO_TOKEN = "drill-twilio-auth-token-0123456789"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
# The URL Twilio is configured to call; it signs this, not the replica's own address.
PUBLIC_BASE_URL = "https://intake.drill.example.org"
SMS_PATH = "/webhooks/twilio/sms"
WEB_PATH = "/api/v1/grievances"
GATEWAY = "+8610690000001"  # GZ-001's number in examples/registry.yaml
FACTORY = "GZ-001"
# Longer than any bound a drill checks, so a hanging request is measured instead of cut short.
REQUEST_TIMEOUT = 40.0

Channel = Literal["web", "sms"]


@dataclass
class Answer:
    grievance: int
    intake: str
    started: float  # seconds since the drill's clock started
    elapsed: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    error: str | None = None
    reference: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Grievance:
    index: int
    channel: Channel
    text: str
    key: str  # the idempotency key (web) or the MessageSid (SMS)
    phone: str | None = None
    answers: list[Answer] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return any(a.ok for a in self.answers)

    @property
    def references(self) -> set[str]:
        return {a.reference for a in self.answers if a.ok and a.reference}


def make_grievances(
    count: int, *, channels: Iterable[Channel] = ("web", "sms"), start: int = 0
) -> list[Grievance]:
    """``count`` grievances with texts, keys and numbers nobody else uses, registered as sensitive."""
    run = secrets.randbelow(9000) + 1000
    cycle = list(channels)
    made = []
    for offset in range(count):
        index = start + offset
        channel = cycle[index % len(cycle)]
        text = sensitive(f"{run}号楼宿舍热水器坏了，第{index}次报修没有人管")
        if channel == "web":
            made.append(Grievance(index, "web", text, f"drill-{uuid.uuid4().hex}"))
        else:
            phone = sensitive(f"+86139{secrets.randbelow(10**8):08d}")
            made.append(Grievance(index, "sms", text, "SM" + uuid.uuid4().hex, phone))
    return made


def sms_pairs(grievance: Grievance) -> list[tuple[str, str]]:
    assert grievance.phone is not None
    return [
        ("ToCountry", "CN"),
        ("SmsMessageSid", grievance.key),
        ("NumMedia", "0"),
        ("MessageSid", grievance.key),
        ("AccountSid", ACCOUNT_SID),
        ("From", grievance.phone),
        ("To", GATEWAY),
        ("Body", grievance.text),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]


def signed_sms(grievance: Grievance) -> tuple[bytes, dict[str, str]]:
    """The webhook body and headers, signed by Twilio's own validator as Twilio signs them."""
    pairs = sms_pairs(grievance)
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + SMS_PATH, MultiDict(pairs))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return urlencode(pairs).encode(), headers


class Sender:
    """Sends one grievance to one intake replica and records the answer."""

    def __init__(self, session: aiohttp.ClientSession, clock: DrillClock) -> None:
        self.session = session
        self.clock = clock
        self.requests = 0

    async def send(self, grievance: Grievance, intake_url: str, intake: str) -> Answer:
        self.requests += 1
        if grievance.channel == "web":
            body = json.dumps(
                {"factory_code": FACTORY, "text": grievance.text, "idempotency_key": grievance.key},
                ensure_ascii=False,
            ).encode()
            headers = {"Content-Type": "application/json"}
            url = intake_url + WEB_PATH
        else:
            body, headers = signed_sms(grievance)
            url = intake_url + SMS_PATH
        started = self.clock.now()
        began = time.monotonic()
        answer: Answer
        try:
            async with self.session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
            ) as response:
                text = await response.text()
                reference = None
                if 200 <= response.status < 300:
                    # An SMS is answered with an empty TwiML (the router sends the acknowledgement):
                    # its reference is the one the MessageSid derives, as intake derives it.
                    reference = (
                        json.loads(text).get("reference")
                        if grievance.channel == "web"
                        else reference_for(grievance_id_for("twilio", ACCOUNT_SID, grievance.key))
                    )
                answer = Answer(
                    grievance.index,
                    intake,
                    started,
                    time.monotonic() - began,
                    response.status,
                    None,
                    reference,
                )
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
            answer = Answer(
                grievance.index, intake, started, time.monotonic() - began, None, exc.__class__.__name__
            )
        grievance.answers.append(answer)
        return answer


class DrillClock:
    """Seconds since the drill started, and named moments (``fault``, ``heal``) on the same clock."""

    def __init__(self) -> None:
        self._zero = time.monotonic()
        self.marks: dict[str, float] = {}

    def now(self) -> float:
        return time.monotonic() - self._zero

    def mark(self, name: str) -> float:
        self.marks[name] = self.now()
        return self.marks[name]

    def wall(self, at: float) -> float:
        """The Unix time of a drill moment (the services' timestamps are wall-clock)."""
        return time.time() - (time.monotonic() - self._zero - at)


@dataclass
class Load:
    """Grievances at ``rate`` per second to the given intakes, resent until accepted, within bounds."""

    sender: Sender
    intakes: list[tuple[str, str]]  # (replica, base URL)
    grievances: list[Grievance]
    rate: float = 20.0
    in_flight: int = 32
    max_requests: int = 2000
    resend_accepted: float = 0.1  # share of accepted grievances sent once more anyway
    retry_after: float = 1.0  # the first resend of an unanswered grievance, doubling up to retry_cap
    retry_cap: float = 4.0
    max_attempts: int = 12
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _limit: asyncio.Semaphore = field(init=False)
    _turn: int = 0

    def __post_init__(self) -> None:
        self._limit = asyncio.Semaphore(self.in_flight)

    def _next_intake(self) -> tuple[str, str]:
        self._turn += 1
        return self.intakes[self._turn % len(self.intakes)]

    async def run(self) -> None:
        """Start a grievance every 1/rate seconds; return when every one of them is settled."""
        for grievance in self.grievances:
            if self.sender.requests >= self.max_requests:
                break
            task = asyncio.create_task(self._deliver(grievance))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(1 / self.rate)
        await self.settle()

    async def settle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, grievance: Grievance) -> None:
        attempt = 0
        while self.sender.requests < self.max_requests:
            replica, url = self._next_intake()
            async with self._limit:
                answer = await self.sender.send(grievance, url, replica)
            if answer.ok:
                if attempt == 0 and random.random() < self.resend_accepted:
                    await asyncio.sleep(random.uniform(0.2, 2.0))
                    replica, url = self._next_intake()
                    async with self._limit:
                        await self.sender.send(grievance, url, replica)
                return
            attempt += 1
            if attempt >= self.max_attempts:
                return
            await asyncio.sleep(min(self.retry_cap, self.retry_after * 2 ** (attempt - 1)))


async def storm(
    sender: Sender, intakes: list[tuple[str, str]], grievances: list[Grievance], copies: int
) -> None:
    """Every grievance sent ``copies`` times at once, alternating between the intakes."""

    async def one(grievance: Grievance) -> None:
        await asyncio.gather(
            *(
                sender.send(grievance, intakes[i % len(intakes)][1], intakes[i % len(intakes)][0])
                for i in range(copies)
            )
        )

    await asyncio.gather(*(one(g) for g in grievances))
