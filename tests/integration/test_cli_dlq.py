"""``grievance dlq`` against the real RabbitMQ, in a namespace of its own."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import aio_pika
import pytest

from services.cli import run_admin
from services.cli.errors import OK
from shared.bootstrap import open_runtime
from shared.contracts import Event
from shared.privacy import Keys
from shared.settings import Settings
from tests.conftest import FAST_RETRY

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.broker


async def dead_letter_two(settings: Settings, keys: Keys) -> None:
    """Two malformed payloads on router.grievances, rejected by a consumer into its .dead twin."""
    async with open_runtime(settings, retry=FAST_RETRY, keys=keys) as runtime:
        seen: list[Event] = []

        async def handler(event: Event) -> None:
            seen.append(event)

        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            for body in (b"{broken", b"[1, 2]"):
                await channel.default_exchange.publish(
                    aio_pika.Message(body, type="grievance.received", message_id=f"bad-{len(body)}"),
                    routing_key=settings.amqp_namespace + "router.grievances",
                )
        await runtime.bus.consume("router.grievances", handler)
        for _ in range(100):
            if len(await runtime.bus.dead_letters("router.grievances")) == 2:
                break
            await asyncio.sleep(0.05)
        assert not seen


async def dead_count(settings: Settings) -> tuple[int, int]:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        name = settings.amqp_namespace + "router.grievances"
        live = await channel.declare_queue(name, passive=True)
        dead = await channel.declare_queue(name + ".dead", passive=True)
        return live.declaration_result.message_count or 0, dead.declaration_result.message_count or 0


async def test_list_and_replay_dead_letters_on_the_broker(amqp_settings: Settings, keys: Keys) -> None:
    await dead_letter_two(amqp_settings, keys)
    async with open_runtime(amqp_settings, retry=FAST_RETRY, keys=keys) as runtime:
        out = io.StringIO()
        assert (
            await run_admin(
                ["dlq", "list", "router.grievances"], settings=amqp_settings, runtime=runtime, out=out
            )
            == OK
        )
        listing = out.getvalue()
        assert "bad-7" in listing and "bad-6" in listing and "invalid" in listing
        assert "body is not JSON: JSONDecodeError" in listing and "body is not a JSON object" in listing
        assert "broken" not in listing
        assert await dead_count(amqp_settings) == (0, 2)  # listing leaves them in place

        out = io.StringIO()
        code = await run_admin(
            ["dlq", "replay", "router.grievances.dead"], settings=amqp_settings, runtime=runtime, out=out
        )
        assert code == OK and "replayed 0 dead letter(s)" in out.getvalue() and "refused 2" in out.getvalue()
        assert await dead_count(amqp_settings) == (0, 2)

        out = io.StringIO()
        code = await run_admin(
            ["dlq", "replay", "router.grievances.dead", "--limit", "1", "--force"],
            settings=amqp_settings,
            runtime=runtime,
            out=out,
        )
        assert code == OK and "replayed 1 dead letter(s)" in out.getvalue()
    assert await dead_count(amqp_settings) == (1, 1)


async def test_the_installed_command_reads_the_broker_from_the_environment(
    amqp_settings: Settings, keys: Keys
) -> None:
    await dead_letter_two(amqp_settings, keys)
    env = {
        **os.environ,
        "GRIEVANCE_AMQP_URL": amqp_settings.amqp_url,
        "GRIEVANCE_AMQP_NAMESPACE": amqp_settings.amqp_namespace,
    }
    listing = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "dlq", "list", "router.grievances"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == OK, listing.stderr
    assert "2 dead letter(s) in router.grievances.dead" in listing.stdout
    assert "invalid" in listing.stdout
    letter_id = next(line.split()[0] for line in listing.stdout.splitlines() if "bad-7" in line)

    async def grievance_cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.cli", "dlq", *argv],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    shown = await grievance_cli("show", "router.grievances", letter_id)
    assert shown.returncode == OK, shown.stderr
    assert "would be refused: body is not JSON" in shown.stdout and "<not JSON: 7 bytes>" in shown.stdout
    assert "broken" not in shown.stdout

    replay = await grievance_cli("replay", "router.grievances")
    assert replay.returncode == OK, replay.stderr
    assert "replayed 0 dead letter(s)" in replay.stdout and "refused 2" in replay.stdout

    declined = await grievance_cli("discard", "router.grievances", letter_id)  # no terminal: no
    assert declined.returncode == OK and "nothing discarded" in declined.stdout, declined.stderr
    discard = await grievance_cli("discard", "router.grievances", letter_id, "--yes")
    assert discard.returncode == OK and "discarded 1 dead letter(s)" in discard.stdout, discard.stderr
    assert await dead_count(amqp_settings) == (0, 1)

    replay = await grievance_cli("replay", "router.grievances", "--force")
    assert replay.returncode == OK and "replayed 1 dead letter(s)" in replay.stdout, replay.stderr
    assert await dead_count(amqp_settings) == (1, 0)
