"""``grievance registry load FILE``: load factories and committees into the system's MongoDB.

The loader belongs to the router (``services.router.registry.load_registry_file``); it is
idempotent, so loading the same file twice changes nothing and an edited file updates in place.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from services.cli.admin import Admin, add_target_options
from services.cli.errors import CONFIG, OK, CliError
from shared.messaging import Bus
from shared.store import Database


def add_parser(commands: Any) -> None:
    registry = commands.add_parser(
        "registry",
        help="load the factory and committee registry",
        description="The factory/committee registry (YAML, see examples/registry.yaml). Loads into "
        "the MongoDB of GRIEVANCE_MONGO_URL, or with --tokens FILE (or --admin-url) into a running "
        "system through its admin API, the embedded run included.",
    )
    actions = registry.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = actions.add_parser("load", help="load (or update) factories and committees from a YAML file")
    load.add_argument("file", metavar="FILE", type=Path, help="registry YAML")
    add_target_options(load)


def check_file(path: Path) -> None:
    if not path.is_file():
        raise CliError(f"registry file {str(path)!r} does not exist", CONFIG)


async def load(db: Database, path: Path, bus: Bus | None = None) -> Any:
    """Load the registry; a file the loader refuses becomes a configuration error with its reason.

    Without ``bus`` the events of cases the load moves wait in their outboxes until the router's
    periodic pass publishes them (a command straight against MongoDB has no broker).
    """
    from services.router.registry import load_registry_file

    check_file(path)
    try:
        return await load_registry_file(db, path, bus=bus)
    except (OSError, ValueError) as exc:  # pydantic's ValidationError and YAML errors included
        raise CliError(f"registry {str(path)!r} was not loaded: {_reason(exc)}", CONFIG) from exc
    except Exception as exc:
        if exc.__class__.__module__.startswith("yaml"):
            raise CliError(f"registry {str(path)!r} is not valid YAML: {exc}", CONFIG) from exc
        raise


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if "\n" in text and len(text) > 400 else text


def describe(result: Any) -> str:
    """A one-line summary of what the loader reports (a mapping of counts, or anything printable)."""
    if isinstance(result, dict):
        return ", ".join(f"{key}: {value}" for key, value in result.items())
    if result is None:
        return "done"
    return str(result)


async def run(admin: Admin, args: argparse.Namespace, out: TextIO) -> int:
    result = await admin.load_registry(args.file)
    print(f"registry {args.file} loaded ({describe(result)})", file=out)
    return OK
