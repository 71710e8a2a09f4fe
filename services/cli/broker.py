"""``grievance broker-definitions``: RabbitMQ's users and permissions, one user per service.

RabbitMQ loads the file at boot (``load_definitions``; docker-compose.yml writes it with this command
before the broker starts). Each service's user may do exactly what its bus does, derived from the
topology in :mod:`shared.messaging` and the events each service publishes:

- *configure* every exchange and queue of the topology: every service declares all of it at start-up
  (the declarations are idempotent, and a publisher must never find its consumer's queue missing);
- *write* the main exchange (publishing), every queue (binding a queue needs write on it), the
  dead-letter exchange (declaring a queue that dead-letters to it needs write on it) and the default
  exchange (the confirm breaker's probe publishes through it);
- *read* both exchanges (binding) and the live queues, but no ``.dead`` queue: RabbitMQ wants read
  permission on a queue to declare it with a dead-letter exchange, which every live queue has. So a
  service's user could consume another service's queue; what it cannot do is publish another
  service's events, read dead letters, or touch anything outside the topology;
- on the main exchange, a *topic permission* limits the routing keys it may publish to its own events:
  intake cannot publish ``case.assigned``, the router cannot publish ``grievance.received``.

``CONSUMES`` records which queue each service reads; confining *read* to it needs the dead-letter
arguments moved from the queue declarations into a broker policy (docs/deployment.md).

An ``admin`` user (administrator tag, everything) is for the management UI and ``grievance dlq``.
Passwords come from the environment (``RABBITMQ_<USER>_PASSWORD``) and are stored as RabbitMQ's salted
SHA-256 hashes; the file holds no password in clear.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from services.cli.errors import CONFIG, OK, CliError
from services.escalation.consumer import QUEUE as ESCALATION_QUEUE
from services.escalation.notices import QUEUE as ESCALATION_NOTICES_QUEUE
from services.intake.sender import QUEUE as INTAKE_QUEUE
from services.router.consumer import QUEUE as ROUTER_QUEUE
from services.router.deliveries import QUEUE as DELIVERIES_QUEUE
from services.router.ngo import QUEUE as NGO_QUEUE
from services.router.notices import QUEUE as COMMITTEE_NOTICES_QUEUE
from shared.contracts import (
    CaseAssigned,
    CaseCloseRequested,
    CaseDeadlineSoon,
    CaseEscalated,
    CaseMessageRequested,
    CaseTransferRequested,
    CaseUpdated,
    ContactWithdrawn,
    Event,
    GrievanceReceived,
    MessageDeliveryChanged,
    MessageOutbound,
)
from shared.messaging import DEAD_LETTER_EXCHANGE, DEAD_SUFFIX, EXCHANGE, QUEUES
from shared.safety import SECRET_MIN_LENGTH, is_placeholder
from shared.settings import Settings

VHOST = "/"
DEFAULT_EXCHANGE = "amq.default"
ADMIN = "admin"
PUBLISHES: dict[str, tuple[type[Event], ...]] = {
    # A WeChat unfollow withdraws the worker's contact (contact.withdrawn); the sender tells the
    # router where each message to a worker stands (message.delivery).
    "intake": (GrievanceReceived, ContactWithdrawn, MessageDeliveryChanged),
    "router": (CaseAssigned, CaseUpdated, MessageOutbound),
    # The NGO's requests on a case (message, transfer, close) go to the router, which owns cases.
    # A deadline drawing near (case.deadline_soon) is published for escalation's own notifier.
    "escalation": (
        CaseEscalated,
        CaseDeadlineSoon,
        MessageOutbound,
        CaseMessageRequested,
        CaseTransferRequested,
        CaseCloseRequested,
    ),
}
CONSUMES: dict[str, tuple[str, ...]] = {
    "intake": (INTAKE_QUEUE,),
    "router": (ROUTER_QUEUE, DELIVERIES_QUEUE, NGO_QUEUE, COMMITTEE_NOTICES_QUEUE),
    "escalation": (ESCALATION_QUEUE, ESCALATION_NOTICES_QUEUE),
}
USERS = (ADMIN, *PUBLISHES)


def password_variable(user: str) -> str:
    return f"RABBITMQ_{user.upper()}_PASSWORD"


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + SHA-256(salt + password))."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


def _any_of(names: list[str]) -> str:
    return "^(" + "|".join(re.escape(name) for name in names) + ")$"


def permissions(namespace: str) -> dict[str, dict[str, str]]:
    """The configure/write/read patterns of each service's user, under the settings' namespace."""
    exchange, dead_letters = namespace + EXCHANGE, namespace + DEAD_LETTER_EXCHANGE
    queues = [namespace + q + suffix for q in QUEUES for suffix in ("", DEAD_SUFFIX)]
    granted: dict[str, dict[str, str]] = {}
    for service in PUBLISHES:
        granted[service] = {
            "configure": _any_of([exchange, dead_letters, *queues]),
            "write": _any_of([exchange, dead_letters, DEFAULT_EXCHANGE, *queues]),
            "read": _any_of([exchange, dead_letters, *(namespace + q for q in QUEUES)]),
        }
    return granted


def topic_permissions(namespace: str) -> dict[str, dict[str, str]]:
    """The routing keys each service may publish on the main exchange (binding stays open)."""
    return {
        service: {"write": _any_of([event.routing_key() for event in events]), "read": ".*"}
        for service, events in PUBLISHES.items()
    }


def definitions(namespace: str, passwords: dict[str, str]) -> dict[str, Any]:
    """The definitions file: the vhost, the four users with hashed passwords, their permissions."""
    granted, topics = permissions(namespace), topic_permissions(namespace)
    return {
        "rabbit_version": "3.13",
        "vhosts": [{"name": VHOST}],
        "users": [
            {
                "name": user,
                "password_hash": password_hash(passwords[user]),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": ["administrator"] if user == ADMIN else [],
            }
            for user in USERS
        ],
        "permissions": [
            {"user": ADMIN, "vhost": VHOST, "configure": ".*", "write": ".*", "read": ".*"},
            *({"user": service, "vhost": VHOST, **rules} for service, rules in granted.items()),
        ],
        "topic_permissions": [
            {"user": service, "vhost": VHOST, "exchange": namespace + EXCHANGE, **rules}
            for service, rules in topics.items()
        ],
    }


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "broker-definitions",
        help="write RabbitMQ's users and permissions (one user per service) as a definitions file",
        description="Write the RabbitMQ definitions file the broker loads at boot: the users admin, "
        "intake, router and escalation with salted password hashes (from RABBITMQ_ADMIN_PASSWORD, "
        "RABBITMQ_INTAKE_PASSWORD, RABBITMQ_ROUTER_PASSWORD, RABBITMQ_ESCALATION_PASSWORD) and "
        "permissions that let each service declare the topology, publish its own events and consume "
        "its own queue only (GRIEVANCE_AMQP_NAMESPACE prefixes the names).",
        epilog="example: grievance broker-definitions --out /definitions/definitions.json",
    )
    parser.add_argument("--out", metavar="FILE", required=True, help="where to write the JSON (mode 0644)")


def run(settings: Settings, out_file: str, out: TextIO, environ: Mapping[str, str] = os.environ) -> int:
    """Write the definitions with the passwords of ``environ`` (``RABBITMQ_<USER>_PASSWORD``)."""
    passwords: dict[str, str] = {}
    problems: list[str] = []
    for user in USERS:
        value = environ.get(password_variable(user), "")
        if not value or is_placeholder(value) or len(value) < SECRET_MIN_LENGTH:
            problems.append(
                f"{password_variable(user)} must be a random password of {SECRET_MIN_LENGTH}+ characters"
            )
        passwords[user] = value
    if problems:
        raise CliError("; ".join(problems), CONFIG)
    path = Path(out_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(definitions(settings.amqp_namespace, passwords), indent=2) + "\n")
    temporary.chmod(0o644)  # read by the broker's own user; hashes only
    temporary.replace(path)
    print(f"wrote {path}: users {', '.join(USERS)}", file=out)
    return OK
