"""What ``serve all`` does once its services listen: registry, tokens, and the tokens file.

The tokens file is the only place the issued tokens exist in clear, so it is created with mode 0600
and replaced atomically (a reader never sees half a file).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.cli import registry as registry_command
from shared.auth import INDEXES, Role, authenticate, issue_token, live_token_ids
from shared.messaging import Bus
from shared.store import Database, ensure_indexes
from shared.web import Problem


def read_registry(path: Path) -> list[dict[str, Any]]:
    """The factories of a registry file as plain data (codes, numbers, committees)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    factories = data.get("factories", []) if isinstance(data, dict) else []
    return [f for f in factories if isinstance(f, dict)]


def committee_ids(path: Path) -> list[str]:
    return [
        str(c["id"])
        for factory in read_registry(path)
        for c in factory.get("committees") or []
        if isinstance(c, dict) and c.get("id")
    ]


@dataclass(frozen=True)
class Prepared:
    """The tokens known in clear (for the tokens file) and the names of those that exist only as
    hashes, issued at an earlier start (``committee gz-001-spt``, ``ngo``, ``admin``)."""

    tokens: dict[str, Any]
    elsewhere: tuple[str, ...] = ()


async def prepare(
    db: Database,
    bus: Bus,
    registry: Path | None,
    *,
    persistent: bool,
    previous: Mapping[str, Any] | None = None,
    issue: bool = True,
) -> Prepared:
    """Load the registry (if any) and issue a token per committee, an NGO and an admin token.

    The in-memory store forgets every token when the process ends, so each start issues them all.
    A ``persistent`` store (a real one) keeps them: a start issues a token only when none of its role
    and scope works any more, so restarts do not pile up live tokens. A token of ``previous`` (the tokens file of an
    earlier start) that still works is kept in the file; one that exists only as a hash cannot be
    shown again and is named in ``elsewhere``. Without ``issue`` (no tokens file to write them to)
    a real store gets no new tokens at all: nobody would ever see them.
    """
    await ensure_indexes(db, INDEXES)
    committees: list[str] = []
    if registry is not None:
        await registry_command.load(db, registry, bus)
        committees = committee_ids(registry)
    wanted: list[tuple[Role, str | None]] = [("committee", c) for c in committees]
    wanted += [("ngo", None), ("admin", None)]
    tokens: dict[str, Any] = {"committees": {}}
    elsewhere: list[str] = []
    for role, committee in wanted:
        name = f"committee {committee}" if committee else role
        token = None
        if persistent:
            token = await _still_valid(db, _known(previous, role, committee), role, committee)
            if token is None and await live_token_ids(db, role, committee_id=committee):
                elsewhere.append(name)
                continue
            if token is None and not issue:
                continue
        if token is None:
            token, _ = await issue_token(db, role, committee_id=committee, label="serve all")
        if committee:
            tokens["committees"][committee] = token
        else:
            tokens[role] = token
    return Prepared(tokens, tuple(elsewhere))


def _known(previous: Mapping[str, Any] | None, role: Role, committee: str | None) -> str | None:
    if not previous:
        return None
    found = previous.get("committees", {}).get(committee) if committee else previous.get(role)
    return found if isinstance(found, str) else None


async def _still_valid(db: Database, token: str | None, role: Role, committee: str | None) -> str | None:
    """``token`` if it still works for exactly this role and scope."""
    if token is None:
        return None
    try:
        principal = await authenticate(db, f"Bearer {token}")
    except Problem:
        return None
    wide = principal.factories is None
    return token if (principal.role, principal.committee_id, wide) == (role, committee, True) else None


def read_tokens(path: Path) -> dict[str, Any]:
    """An earlier tokens file, or nothing when there is none or it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_tokens(path: Path, data: dict[str, Any]) -> None:
    """Write the tokens JSON readable by the owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def web_form_curl(intake_url: str, registry: Path | None) -> str:
    """A ready-to-paste web form submission for the first factory of the registry."""
    code = "GZ-001"
    if registry is not None:
        codes = [str(f["code"]) for f in read_registry(registry) if f.get("code")]
        code = codes[0] if codes else code
    body = json.dumps(
        {"factory_code": code, "text": "Overtime every Sunday and no overtime pay.", "language": "en"}
    )
    return (
        f"curl -s -X POST {intake_url}/api/v1/grievances -H 'Content-Type: application/json' "
        f"-d {shlex.quote(body)}"
    )
