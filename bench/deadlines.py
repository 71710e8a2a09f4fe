"""How long intake takes to answer a provider's push, against a bare handler measured in the same run.

Alibaba Cloud waits 700 ms for the answer to an SMS uplink push and pushes again when it comes
later; WeChat waits 5 s. Intake answers only once the grievance is durable (the broker confirmed
it, or, after ``PUBLISH_BUDGET``, the spool kept it), so the answer time is the time to durability.
The tests check what the answer says and that it waits; this script measures how long it takes.

Two servers in this process, one after the other in interleaved rounds (three by default), each
pushed to one request at a time as a provider pushes:

(a) a bare aiohttp handler that reads the same JSON body and answers Alibaba's acknowledgement;
(b) intake's Alibaba uplink webhook over an in-memory store, publishing each new uplink (a unique
    ``sequence_id``) through the real RabbitMQ with confirms, then its repeat, answered from the
    uplink record.

Each line gives p50, p99 and the maximum, and intake's very first answer after its start (nothing
warmed up yet) is shown on its own; then the medians over the rounds, intake's p99 against
the bare handler's (a ratio, since this machine is shared), and the slowest answer against
Alibaba's 700 ms. Everything runs in a fresh namespace on the broker, deleted afterwards.

Run: ``.venv/bin/python -m bench.deadlines`` (RabbitMQ at GRIEVANCE_TEST_AMQP_URL or localhost).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from bench.intake import cleanup, declare, free_port, percentile_ms

ALIYUN_DEADLINE = 0.7
SECRET = "bench-aliyun-callback-secret-0123456789abcdef"  # noqa: S105 - a throwaway secret for a local run
PATH = f"/webhooks/aliyun/sms/{SECRET}"
ACK = {"code": 0, "msg": "接收成功"}
TEXT = "GZ-001 车间的安全出口每天晚上都锁着，上个月的加班费也没有发。"
_SEQUENCE = itertools.count(1_900_000_000_001)


@dataclass(frozen=True)
class Timings:
    name: str
    seconds: list[float]

    def percentile(self, p: float) -> float:
        return percentile_ms(self.seconds, p)

    def line(self) -> str:
        return (
            f"{self.name:<28} p50 {self.percentile(50):7.2f} ms   p99 {self.percentile(99):7.2f} ms   "
            f"max {max(self.seconds) * 1000:7.2f} ms   ({len(self.seconds)} pushes)"
        )


def uplink() -> list[dict[str, Any]]:
    """One SmsUp item as Alibaba pushes it, with a sequence id of its own."""
    return [
        {
            "phone_number": f"139{next(_SEQUENCE) % 100_000_000:08d}",
            "send_time": "2026-03-02 16:00:00",
            "content": TEXT,
            "sign_name": "工人服务",
            "dest_code": "1234",
            "sequence_id": next(_SEQUENCE),
        }
    ]


def bare_app() -> web.Application:
    async def webhook(request: web.Request) -> web.Response:
        items = await request.json()
        return web.json_response(ACK if isinstance(items, list) else {"code": 1})

    app = web.Application()
    app.router.add_post(PATH, webhook)
    return app


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}{PATH}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def intake_app(url: str, namespace: str) -> AsyncIterator[web.Application]:
    """Intake as it serves the Alibaba webhook, on the real broker and an in-memory store."""
    from services.intake.app import create_app
    from shared.bootstrap import open_runtime
    from shared.log import configure_logging
    from shared.settings import Settings

    settings = Settings(
        amqp_url=url,
        amqp_namespace=namespace,
        aliyun_callback_secret=SECRET,
        contact_key=Fernet.generate_key().decode(),
        pseudonym_key="bench-pseudonym-key-0123456789",
        log_level="WARNING",
    )
    configure_logging(settings.log_level, "json")
    async with open_runtime(settings, store=False) as runtime:
        yield create_app(settings, runtime, spool=True)


async def push_each(name: str, url: str, count: int, repeat: bool) -> tuple[Timings, Timings | None]:
    """``count`` pushes one after another; with ``repeat`` each is pushed again at once."""
    first: list[float] = []
    again: list[float] = []
    async with aiohttp.ClientSession() as session:

        async def post(body: list[dict[str, Any]], into: list[float]) -> None:
            started = time.perf_counter()
            async with session.post(url, json=body) as response:
                answer = await response.json()
            into.append(time.perf_counter() - started)
            if response.status != 200 or answer != ACK:
                raise RuntimeError(f"{name}: {response.status} {answer}")

        for _ in range(count):
            body = uplink()
            await post(body, first)
            if repeat:
                await post(body, again)
    return Timings(name, first), (Timings("(b') intake, its repeat", again) if repeat else None)


@dataclass(frozen=True)
class Round:
    bare: Timings
    first: float  # intake's first answer after it started: nothing warmed up yet
    intake: Timings
    repeats: Timings

    def lines(self) -> list[str]:
        return [
            self.bare.line(),
            f"{'(b) intake, first push':<28} {self.first * 1000:7.2f} ms",
            self.intake.line(),
            self.repeats.line(),
        ]


async def measure(url: str, namespace: str, count: int) -> Round:
    async with serving(bare_app()) as target:
        bare, _ = await push_each("(a) bare handler", target, count, repeat=False)
    async with intake_app(url, namespace) as app, serving(app) as target:
        first, _ = await push_each("first", target, 1, repeat=False)
        intake, repeats = await push_each("(b) intake, new uplink", target, count, repeat=True)
    assert repeats is not None
    return Round(bare, first.seconds[0], intake, repeats)


async def main(url: str, rounds: int, count: int) -> None:
    namespace = f"bench-{uuid.uuid4().hex[:8]}."
    await declare(url, namespace)
    try:
        measured: list[Round] = []
        for number in range(1, rounds + 1):
            print(f"round {number}")
            measured.append(await measure(url, namespace, count))
            for line in measured[-1].lines():
                print("  " + line)
    finally:
        await cleanup(url, namespace)
    print_summary(measured)


def print_summary(measured: list[Round]) -> None:
    def median(pick: Callable[[Round], float]) -> float:
        return statistics.median(pick(m) for m in measured)

    bare_p99 = median(lambda m: m.bare.percentile(99))
    intake_p99 = median(lambda m: m.intake.percentile(99))
    repeat_p99 = median(lambda m: m.repeats.percentile(99))
    slowest = max(max([m.first, *m.intake.seconds, *m.repeats.seconds]) for m in measured)
    print(f"medians over {len(measured)} rounds:")
    print(f"  p99 bare {bare_p99:.2f} ms, intake {intake_p99:.2f} ms, repeat {repeat_p99:.2f} ms")
    print(
        f"  intake p99 / bare p99 = {intake_p99 / bare_p99:.1f}; repeat / bare = {repeat_p99 / bare_p99:.1f}"
    )
    print(
        f"  slowest intake answer {slowest * 1000:.1f} ms against Alibaba's {ALIYUN_DEADLINE * 1000:.0f} ms"
        f" ({slowest / ALIYUN_DEADLINE:.2f} of it)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pushes", type=int, default=300, help="new uplinks per round (each pushed twice)")
    parser.add_argument(
        "--amqp-url", default=os.environ.get("GRIEVANCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1/")
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.amqp_url, arguments.rounds, arguments.pushes))
