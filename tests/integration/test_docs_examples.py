"""Every ``sh`` example of the README and docs/ that is not marked ``not run``, run as printed.

Each block runs in bash (``-euo pipefail``) in the folder where an embedded run wrote ``tokens.json``,
which holds ``.venv`` as the checkout does (a link to this interpreter's environment), so a block's
``.venv/bin/grievance`` is the one ``make run`` installed.
Two things differ from a newcomer's terminal, both to let tests run side by side: the run listens on
free ports (the README's own ``GRIEVANCE_*_PORT`` override), so the documented ports are replaced by
them; and ``curl -s`` becomes ``curl -sS --fail-with-body``, so that an answer of 4xx or 5xx fails the
block instead of scrolling past.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docexamples import SHELL, Block, all_blocks
from tests.integration.test_embedded_run import EmbeddedRun, embedded_run

RUNNABLE = [block for block in all_blocks() if block.language == SHELL and block.not_run is None]
DOCUMENTED_PORTS = {"8080": "intake", "8081": "router", "8082": "escalation"}
BLOCK_DEADLINE = 60.0


def as_run(block: Block, run: EmbeddedRun) -> str:
    """The block's script, pointed at ``run``'s ports, with every HTTP failure made an error."""
    ports = {port: run.urls[name].rsplit(":", 1)[1] for port, name in DOCUMENTED_PORTS.items()}
    script = re.sub(
        r"\b(localhost|127\.0\.0\.1):(808[0-2])\b",
        lambda match: f"{match[1]}:{ports[match[2]]}",
        block.body,
    )
    return script.replace("curl -s ", "curl -sS --fail-with-body ")


async def bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``script`` in bash with errors fatal; a script of this repository's documents, never outside input."""
    return await asyncio.to_thread(
        subprocess.run,
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=BLOCK_DEADLINE,
        check=False,
    )


def test_some_examples_run() -> None:
    assert RUNNABLE, "no example of the README runs: mark fewer blocks `not run`"


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.where)
async def test_the_example_runs_as_printed(block: Block, tmp_path: Path) -> None:
    if shutil.which("jq") is None:
        if os.environ.get("CI"):
            pytest.fail("the README's examples use jq, which is not installed, and CI is set")
        pytest.skip("the README's examples use jq (.ci/run installs it)")
    (tmp_path / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    async with embedded_run(tmp_path) as run:
        script = as_run(block, run)
        result = await bash(script, tmp_path)
    assert result.returncode == 0, (
        f"{block.where} failed ({result.returncode}):\n{script}\n--- out\n{result.stdout[-3000:]}"
        f"\n--- err\n{result.stderr[-3000:]}"
    )


async def test_the_banners_curl_lines_run_as_printed(tmp_path: Path) -> None:
    async with embedded_run(tmp_path) as run:
        banner = run.banner()
        lines = [line.strip() for line in banner.split("Try it:", 1)[1].splitlines()]
        curls = [line for line in lines if line.startswith("curl ")]
        assert len(curls) == 2, banner
        for line in curls:
            result = await bash(line.replace("curl -s ", "curl -sS --fail-with-body "), tmp_path)
            assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            assert result.stdout.startswith(("{", "[")), result.stdout
