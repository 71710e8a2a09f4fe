"""``grievance broker-definitions``: RabbitMQ's topology and users, one user per service.

RabbitMQ loads the file at boot (``load_definitions``; docker-compose.yml writes it with this command
before the broker starts). It holds:

- **the whole topology** of :mod:`shared.messaging` (both exchanges, every queue and its ``.dead``
  twin, their bindings), with the very arguments the bus declares (:func:`shared.messaging.queue_arguments`,
  the delivery limit of the settings). So every queue exists before any service connects, and a
  publisher never finds a consumer's queue missing although no service declares another's queue.
  A queue that exists already is left as it is.
- **a user per service**, which may do exactly what that service's bus does, derived from
  :data:`shared.messaging.CONSUMERS` (the queues it consumes) and :data:`PUBLISHES` (its events):

  - *configure*: both exchanges, its own queues and their twins (declaring them);
  - *write*: both exchanges (publishing its events; its dead-letter copies and the breaker's probe
    go to the dead-letter exchange), its own queues and twins (binding them). Not the default
    exchange, through which any queue could be written by name;
  - *read*: both exchanges (binding) and its own live queues (consuming; RabbitMQ also wants it to
    declare a queue with a dead-letter exchange). No other service's queue, no ``.dead`` queue;
  - *topic permissions*: on the main exchange it may publish its own events' routing keys and bind
    only the keys of its own queues; on the dead-letter exchange, publish and bind only its own
    queues' names (and the probe's key, bound to nothing).

  So each user is refused (``ACCESS_REFUSED``) declaring or consuming another service's queue,
  publishing another service's event, binding its queue to another's events, writing into another
  queue through the dead-letter or the default exchange, and any name outside the topology.
- **an ``admin`` user** (administrator tag, everything): the management UI, and dead letters
  (``grievance dlq``), which it alone may read, replay (through the default exchange) and discard.

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
from shared.invocation import grievance
from shared.messaging import (
    CONSUMERS,
    DEAD_ARGUMENTS,
    DEAD_LETTER_EXCHANGE,
    DEAD_SUFFIX,
    EXCHANGE,
    PROBE_KEY,
    QUEUES,
    queue_arguments,
)
from shared.safety import SECRET_MIN_LENGTH, is_placeholder
from shared.settings import Settings

VHOST = "/"
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
# The queues each service consumes, and so declares (shared.messaging, next to the topology).
CONSUMES: dict[str, tuple[str, ...]] = CONSUMERS
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
    exchanges = [namespace + EXCHANGE, namespace + DEAD_LETTER_EXCHANGE]
    granted: dict[str, dict[str, str]] = {}
    for service in PUBLISHES:
        live = [namespace + queue for queue in CONSUMES[service]]
        own = [*live, *(name + DEAD_SUFFIX for name in live)]
        granted[service] = {
            "configure": _any_of([*exchanges, *own]),
            "write": _any_of([*exchanges, *own]),
            "read": _any_of([*exchanges, *live]),
        }
    return granted


def topic_permissions(namespace: str) -> dict[str, dict[str, dict[str, str]]]:
    """Per service and exchange: the routing keys it may publish (write) and bind (read)."""
    granted: dict[str, dict[str, dict[str, str]]] = {}
    for service, events in PUBLISHES.items():
        own = CONSUMES[service]
        bound = sorted({key for queue in own for key in QUEUES[queue]})
        names = [namespace + queue for queue in own]
        granted[service] = {
            namespace + EXCHANGE: {
                "write": _any_of([event.routing_key() for event in events]),
                "read": _any_of(bound),
            },
            namespace + DEAD_LETTER_EXCHANGE: {
                "write": _any_of([*names, namespace + PROBE_KEY]),
                "read": _any_of(names),
            },
        }
    return granted


def topology(namespace: str, delivery_limit: int) -> dict[str, list[dict[str, Any]]]:
    """Both exchanges, every queue with its twin and their bindings, as the bus declares them."""
    exchange, dead_letters = namespace + EXCHANGE, namespace + DEAD_LETTER_EXCHANGE
    queues: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []

    def bind(source: str, queue: str, key: str) -> None:
        bindings.append(
            {
                "source": source,
                "vhost": VHOST,
                "destination": queue,
                "destination_type": "queue",
                "routing_key": key,
                "arguments": {},
            }
        )

    for queue, keys in QUEUES.items():
        name = namespace + queue
        for queue_name, arguments in (
            (name, queue_arguments(namespace, queue, delivery_limit)),
            (name + DEAD_SUFFIX, DEAD_ARGUMENTS),
        ):
            queues.append(
                {
                    "name": queue_name,
                    "vhost": VHOST,
                    "durable": True,
                    "auto_delete": False,
                    "arguments": dict(arguments),
                }
            )
        for key in keys:
            bind(exchange, name, key)
        bind(dead_letters, name + DEAD_SUFFIX, name)
    return {
        "exchanges": [
            {
                "name": name,
                "vhost": VHOST,
                "type": "topic",
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
            for name in (exchange, dead_letters)
        ],
        "queues": queues,
        "bindings": bindings,
    }


def definitions(namespace: str, passwords: dict[str, str], delivery_limit: int) -> dict[str, Any]:
    """The definitions file: the vhost, the topology, the four users with hashed passwords, their rights."""
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
            {"user": service, "vhost": VHOST, "exchange": exchange, **rules}
            for service, exchanges in topics.items()
            for exchange, rules in exchanges.items()
        ],
        **topology(namespace, delivery_limit),
    }


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "broker-definitions",
        help="write RabbitMQ's topology (exchanges, queues and their .dead twins, bindings) and its "
        "users and permissions (one user per service) as a definitions file",
        description="Write the RabbitMQ definitions file the broker loads at boot: the exchanges and "
        "queues (GRIEVANCE_AMQP_NAMESPACE prefixes the names, GRIEVANCE_AMQP_DELIVERY_LIMIT is the "
        "queues' delivery limit: set them as for the services), the users admin, intake, router and "
        "escalation with salted password hashes (from RABBITMQ_ADMIN_PASSWORD, RABBITMQ_INTAKE_PASSWORD, "
        "RABBITMQ_ROUTER_PASSWORD, RABBITMQ_ESCALATION_PASSWORD) and permissions that let each service "
        "declare and consume its own queues and publish its own events only; dead letters are admin's.",
        epilog=f"example: {grievance('broker-definitions --out /definitions/definitions.json')}",
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
    written = definitions(settings.amqp_namespace, passwords, settings.amqp_delivery_limit)
    temporary.write_text(json.dumps(written, indent=2) + "\n")
    temporary.chmod(0o644)  # read by the broker's own user; hashes only
    temporary.replace(path)
    print(f"wrote {path}: users {', '.join(USERS)}; {len(written['queues'])} queues", file=out)
    return OK
