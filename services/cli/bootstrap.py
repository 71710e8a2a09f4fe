"""What the embedded run does once its services listen: registry, tokens, and the tokens file.

The tokens file is the only place the issued tokens exist in clear, so it is created with mode 0600
and replaced atomically (a reader never sees half a file).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import yaml

from services.cli import registry as registry_command
from shared.auth import INDEXES, issue_token
from shared.runtime import Runtime
from shared.store import ensure_indexes


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


async def prepare(runtime: Runtime, registry: Path | None) -> dict[str, Any]:
    """Load the registry (if any) and issue committee, NGO and admin tokens."""
    await ensure_indexes(runtime.db, INDEXES)
    committees: dict[str, str] = {}
    if registry is not None:
        await registry_command.load(runtime.db, registry, runtime.bus)
        for committee in committee_ids(registry):
            committees[committee], _ = await issue_token(
                runtime.db, "committee", committee_id=committee, label="serve all"
            )
    ngo, _ = await issue_token(runtime.db, "ngo", label="serve all")
    admin, _ = await issue_token(runtime.db, "admin", label="serve all")
    return {"committees": committees, "ngo": ngo, "admin": admin}


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
