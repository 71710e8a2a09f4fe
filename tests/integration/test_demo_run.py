"""The demo against the embedded run, as CI runs it: every expected outcome must happen."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from services.cli.demo import scenario
from tests.fakes import find_leaks, sensitive
from tests.integration.test_embedded_run import REGISTRY, ROOT, embedded_run

for grievance in scenario.GRIEVANCES:
    sensitive(grievance.text)
# The workers' numbers are new at every run; the oracle finds any phone number in the log anyway.


async def test_demo_passes_twice_in_a_row_against_one_embedded_run(tmp_path: Path) -> None:
    """Each run has workers of its own, so the second is not mistaken for the first one's replies."""
    async with embedded_run(tmp_path, "--demo-sla") as run:
        command = [sys.executable, "-m", "services.cli", "demo", "--tokens", str(run.tokens_file)]
        command += ["--registry", str(REGISTRY), "--timeout", "60"]
        for _ in range(2):
            result = await asyncio.to_thread(
                subprocess.run, command, cwd=ROOT, capture_output=True, text=True, timeout=120
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert "Every expected outcome happened." in result.stdout
            table = result.stdout.split("CASE ", 1)[1]
            for grievance in scenario.GRIEVANCES:
                assert grievance.key in table
            assert "critical" in table and "ack_overdue" in table and "disputed" in table
            assert "retaliation" in table
        assert run.stop() == 0
    assert not find_leaks(run.log()), "the embedded run logged a worker's number or text"


async def test_demo_without_a_running_system_says_how_to_start_one(tmp_path: Path) -> None:
    missing = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "demo", "--tokens", str(tmp_path / "none.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 3
    assert "grievance serve all" in missing.stderr and "--demo-sla" in missing.stderr
    tokens = tmp_path / "tokens.json"
    tokens.write_text(
        '{"committees": {}, "ngo": "x", "admin": "y", "twilio_auth_token": "t", '
        '"urls": {"intake": "http://127.0.0.1:1", "router": "http://127.0.0.1:1", "escalation": "http://127.0.0.1:1"}}'
    )
    down = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "demo", "--tokens", str(tokens)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 4
    assert "intake does not answer at http://127.0.0.1:1" in down.stderr


async def test_demo_against_real_deadlines_fails_fast_with_the_fix(tmp_path: Path) -> None:
    async with embedded_run(tmp_path) as run:
        command = [sys.executable, "-m", "services.cli", "demo", "--tokens", str(run.tokens_file)]
        command += ["--registry", str(REGISTRY), "--timeout", "30"]
        result = await asyncio.to_thread(
            subprocess.run, command, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
    assert result.returncode == 1
    assert "--demo-sla" in result.stderr
