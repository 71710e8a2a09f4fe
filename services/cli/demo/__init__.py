"""``grievance demo``: drive a running system over HTTP the way workers and committees would."""

from __future__ import annotations

import argparse
from typing import Any, TextIO


def add_parser(commands: Any) -> None:
    commands.add_parser("demo", help="drive a running system like real users and check the outcomes")


def run(args: argparse.Namespace, out: TextIO) -> int:
    raise NotImplementedError
