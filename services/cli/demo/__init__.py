"""``grievance demo``: drive a running system over HTTP the way workers, committees and NGOs would.

It needs a running system (by default the embedded run on its default ports, started with short
deadlines: ``grievance serve all --registry examples/registry.yaml --tokens-out tokens.json
--demo-sla``), the tokens file that run wrote (committee and NGO tokens, and the development Twilio
auth token the demo signs webhooks with), and the registry (for the factories' SMS numbers). It
prints what happens, then a table of the cases, and exits 1 if any expected outcome did not happen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from services.cli.demo import hints
from services.cli.demo.client import DemoFailure, System
from services.cli.demo.story import Story
from services.cli.errors import CONFIG, FAILED, OK, CliError
from services.cli.seed import read_registry


def add_parser(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="drive a running system like real users and check the outcomes",
        description="Eight workers report grievances in Chinese and English (signed Twilio SMS "
        "webhooks and the web form), including a locked fire exit; a committee acknowledges one "
        "case, replies to another and resolves a third, whose worker disputes it by SMS (否); one "
        "case is left to go overdue. Prints a table of the cases and exits 1 if an expected outcome "
        f"did not happen. Start the system with short deadlines first: {hints.start()}",
    )
    demo.add_argument(
        "--tokens", default="tokens.json", metavar="FILE", help="tokens file of the running system"
    )
    demo.add_argument("--registry", default="examples/registry.yaml", metavar="FILE", help="its registry")
    demo.add_argument(
        "--intake", metavar="URL", help="intake base URL (default: from the tokens file, else :8080)"
    )
    demo.add_argument(
        "--router", metavar="URL", help="router base URL (default: from the tokens file, else :8081)"
    )
    demo.add_argument(
        "--escalation", metavar="URL", help="escalation base URL (default: from the tokens file, else :8082)"
    )
    demo.add_argument(
        "--timeout", type=float, default=90.0, metavar="SECONDS", help="how long to wait for the outcomes"
    )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CliError(
            f"no tokens file at {path}: start the system with `{hints.start()}`, or pass --tokens FILE",
            CONFIG,
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise CliError(
            f"tokens file {path} cannot be read ({exc.__class__.__name__}): pass the tokens file the "
            "running system wrote with --tokens FILE, or restart the system to write it again",
            CONFIG,
        ) from None
    if not isinstance(data, dict):
        raise CliError(
            f"tokens file {path} is not a JSON object: pass the running system's with --tokens FILE", CONFIG
        )
    return data


def run(args: argparse.Namespace, out: TextIO) -> int:
    tokens = _read_json(Path(args.tokens))
    registry = Path(args.registry)
    if not registry.is_file():
        raise CliError(f"registry file {str(registry)!r} does not exist", CONFIG)
    numbers = {str(f["code"]): [str(n) for n in f.get("sms_numbers") or []] for f in read_registry(registry)}
    urls = tokens.get("urls", {})
    auth_token = tokens.get("twilio_auth_token") or os.environ.get("GRIEVANCE_TWILIO_AUTH_TOKEN")
    if not auth_token:
        raise CliError(
            "the demo signs SMS webhooks and needs the system's Twilio auth token: the embedded run "
            "writes a development one into the tokens file; elsewhere set GRIEVANCE_TWILIO_AUTH_TOKEN",
            CONFIG,
        )
    endpoints = {
        name: (getattr(args, name) or urls.get(name) or f"http://127.0.0.1:{port}").rstrip("/")
        for name, port in (("intake", 8080), ("router", 8081), ("escalation", 8082))
    }
    return asyncio.run(_play(tokens, endpoints, str(auth_token), numbers, args.timeout, out))


async def _play(
    tokens: dict[str, Any],
    endpoints: dict[str, str],
    auth_token: str,
    numbers: dict[str, list[str]],
    patience: float,
    out: TextIO,
) -> int:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        system = System(
            intake=endpoints["intake"],
            router=endpoints["router"],
            escalation=endpoints["escalation"],
            public_base_url=str(tokens.get("public_base_url") or endpoints["intake"]),
            twilio_auth_token=auth_token,
            committee_tokens=dict(tokens.get("committees", {})),
            ngo_token=str(tokens.get("ngo", "")),
            http=http,
        )
        await system.check_up()
        story = Story(system, numbers, patience, out)
        try:
            failures = await story.play()
        except DemoFailure as exc:
            raise CliError(f"demo stopped: {exc}", FAILED) from exc
    if failures:
        print("\nEXPECTED OUTCOMES THAT DID NOT HAPPEN:", file=out)
        for failure in failures:
            print(f"  - {failure}", file=out)
        if story.advice:
            print(f"\n{story.advice}", file=out)
        return FAILED
    print("\nEvery expected outcome happened.", file=out)
    return OK
