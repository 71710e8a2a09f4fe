"""``grievance keys``: fresh secrets for GRIEVANCE_CONTACT_KEY and GRIEVANCE_PSEUDONYM_KEY."""

from __future__ import annotations

from typing import Any, TextIO

from services.cli.errors import OK
from shared.privacy import generate_keys


def add_parser(commands: Any) -> None:
    commands.add_parser(
        "keys",
        help="print fresh contact and pseudonym keys as .env lines",
        description="Print a new GRIEVANCE_CONTACT_KEY (Fernet, seals workers' phone numbers) and "
        "GRIEVANCE_PSEUDONYM_KEY (HMAC key for reporter pseudonyms), ready for an .env file. Every "
        "service of one deployment needs the same two values; changing them later makes stored "
        "contacts unreadable and splits reporters' histories, so keep them with your backups.",
    )


def run(out: TextIO) -> int:
    for name, value in generate_keys().items():
        print(f"{name}={value}", file=out)
    return OK
