"""``grievance keys``: fresh secrets; ``grievance keys rotate``: re-seal stored contacts with the current key.

Rotating the contact key (docs/deployment.md): put a fresh key in ``GRIEVANCE_CONTACT_KEY`` and the
old one in ``GRIEVANCE_CONTACT_KEY_PREVIOUS`` (intake seals with the new one and still opens the old),
run ``grievance keys rotate`` with the same two settings, wait for the queues to drain (messages in
flight still carry the old seal and can only be drained, not rewritten), run it once more, then drop
the old key. Every pass is safe to repeat and to interrupt: a contact already sealed with the current
key is left alone, and each document is rewritten on its own, only if nobody changed it meanwhile.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

from services.cli.connect import store_runtime
from services.cli.errors import CONFIG, FAILED, OK, CliError, require_shared_store
from services.escalation.store import reseal_records
from services.escalation.upgrade import FORMER_RECORDS, reseal_former_records
from services.intake.spool import reseal_spool
from services.intake.store import reseal_waiting
from services.router.case_store import reseal_cases
from shared.invocation import grievance
from shared.privacy import Keys, Rotation, generate_keys, load_keys
from shared.runtime import Runtime
from shared.settings import ConfigurationError, Settings
from shared.store import Database


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "keys",
        help="print fresh contact and pseudonym keys as .env lines; `keys rotate` re-seals contacts",
        description="Print a new GRIEVANCE_CONTACT_KEY (Fernet, seals workers' phone numbers) and "
        "GRIEVANCE_PSEUDONYM_KEY (HMAC key for reporter pseudonyms and PINs), ready for an .env file. "
        "Only intake holds the contact key; intake and the router hold the pseudonym key. Both are "
        "secrets: the pseudonym key turns reporter keys back into phone numbers by trying every "
        "number. Keep them with your backups, never beside them.",
    )
    parser.add_argument(
        "--stack",
        action="store_true",
        help="also print fresh passwords for every secret of docker-compose.yml's .env (the RabbitMQ "
        "users and MongoDB's users)",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser(
        "rotate",
        help="re-seal every stored contact with the current contact key",
        description="Re-seal every stored contact (the router's cases and their pending events, "
        "escalation's case records (also case_clocks while an escalation from before their rename runs), intake's spool) with GRIEVANCE_CONTACT_KEY; contacts sealed with "
        "a key of GRIEVANCE_CONTACT_KEY_PREVIOUS are opened with it. Safe to repeat and to interrupt. "
        "Then wait for the queues to drain, run it once more, and drop the previous key.",
    )


# The passwords of .env.example besides the two keys: random, URL-safe (they go inside URLs).
STACK_PASSWORDS = (
    "RABBITMQ_ADMIN_PASSWORD",
    "RABBITMQ_INTAKE_PASSWORD",
    "RABBITMQ_ROUTER_PASSWORD",
    "RABBITMQ_ESCALATION_PASSWORD",
    "MONGO_ROOT_PASSWORD",
    "MONGO_APP_PASSWORD",
)


def run(out: TextIO, *, stack: bool = False) -> int:
    values = generate_keys()
    if stack:
        values.update({name: secrets.token_urlsafe(32) for name in STACK_PASSWORDS})
    for name, value in values.items():
        print(f"{name}={value}", file=out)
    return OK


async def rotate(settings: Settings, out: TextIO, runtime: Runtime | None = None) -> int:
    """One pass over every collection that holds a sealed contact; counts per collection.

    ``runtime``: act on its store (tests, an operator's script) instead of opening the system's.
    """
    try:
        keys = load_keys(settings, contact=True, pseudonym=False)
    except ConfigurationError as exc:
        raise CliError(str(exc), CONFIG) from exc
    async with _store(settings, runtime) as db:
        passes = await reseal_everything(db, keys)
    for name, rotation in passes.items():
        print(
            f"{name}: {rotation.resealed} resealed, {rotation.current} already current, "
            f"{rotation.unreadable} unreadable, {rotation.raced} changed meanwhile",
            file=out,
        )
    if any(r.raced for r in passes.values()):
        print(
            f"some documents changed while they were read: run `{grievance('keys rotate')}` again", file=out
        )
    if any(r.unreadable for r in passes.values()):
        print(
            "some contacts open with none of the keys (sealed with a key no longer configured?); "
            "they were left as they are",
            file=out,
        )
        return FAILED
    return OK


async def reseal_everything(db: Database, keys: Keys) -> dict[str, Rotation]:
    """Each service's collections that hold sealed contacts, re-sealed by that service's store.

    Escalation's records are also re-sealed in ``case_clocks`` while an earlier version of escalation
    still keeps them there (it renames the collection when the new version starts, not this command).
    """
    passes: dict[str, Rotation] = {}
    for name, reseal in (
        ("cases", reseal_cases),
        ("case_records", reseal_records),
        ("intake_spool", reseal_spool),
        ("outbound_messages", reseal_waiting),
    ):
        rotation = Rotation(keys)
        passes[name] = rotation.add_writes(*await reseal(db, rotation.new_seal))
    rotation = Rotation(keys)
    if (former := await reseal_former_records(db, rotation.new_seal)) is not None:
        passes[FORMER_RECORDS] = rotation.add_writes(*former)
    return passes


@asynccontextmanager
async def _store(settings: Settings, runtime: Runtime | None) -> AsyncIterator[Database]:
    if runtime is not None:
        yield runtime.db
        return
    require_shared_store(settings, "keys rotate")
    async with store_runtime(settings, "keys rotate") as opened:
        yield opened.db
