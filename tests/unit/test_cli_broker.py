"""``grievance broker-definitions``: the file RabbitMQ loads at boot, built from the code's topology."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import secrets
from pathlib import Path

import pytest

from services.cli.broker import (
    CONSUMES,
    USERS,
    definitions,
    password_hash,
    permissions,
    run,
    topic_permissions,
)
from services.cli.errors import CliError
from services.escalation.consumer import QUEUE as ESCALATION_QUEUE
from services.escalation.notices import QUEUE as ESCALATION_NOTICES_QUEUE
from services.intake.sender import QUEUE as INTAKE_QUEUE
from services.router.consumer import QUEUE as ROUTER_QUEUE
from services.router.deliveries import QUEUE as DELIVERIES_QUEUE
from services.router.ngo import QUEUE as NGO_QUEUE
from services.router.notices import QUEUE as COMMITTEE_NOTICES_QUEUE
from shared.contracts import EVENT_CLASSES
from shared.messaging import QUEUES, queue_arguments
from tests.conftest import make_settings

PASSWORDS = {user: secrets.token_urlsafe(24) for user in USERS}


def test_password_hashes_are_rabbitmqs_salted_sha256() -> None:
    salt = bytes.fromhex("908dc60a")
    decoded = base64.b64decode(password_hash("test12", salt))
    assert decoded[:4] == salt and decoded[4:] == hashlib.sha256(salt + b"test12").digest()
    assert password_hash("test12") != password_hash("test12")  # a fresh salt each time


def test_each_user_may_touch_its_own_queues_and_no_other_under_the_namespace() -> None:
    granted = permissions("team-a.")
    exchanges = {"team-a.grievances", "team-a.grievances.dlx"}
    for service, rules in granted.items():
        own = {f"team-a.{queue}" for queue in CONSUMES[service]}
        twins = {name + ".dead" for name in own}
        names = {f"team-a.{queue}{suffix}" for queue in QUEUES for suffix in ("", ".dead")}
        names |= exchanges | {"amq.default", "team-a.other"} | {q.removeprefix("team-a.") for q in own}

        def matching(pattern: str, names: set[str] = names) -> set[str]:
            return {name for name in names if re.fullmatch(pattern, name)}

        assert matching(rules["configure"]) == exchanges | own | twins, service
        # Not the default exchange: through it any queue could be written by name.
        assert matching(rules["write"]) == exchanges | own | twins, service
        # Dead letters are the admin's.
        assert matching(rules["read"]) == exchanges | own, service


def test_consumes_is_what_each_service_consumes() -> None:
    """The queues each service's consumers name are its queues, and every queue has one consumer."""
    assert set(CONSUMES["intake"]) == {INTAKE_QUEUE}
    assert set(CONSUMES["router"]) == {ROUTER_QUEUE, DELIVERIES_QUEUE, NGO_QUEUE, COMMITTEE_NOTICES_QUEUE}
    assert set(CONSUMES["escalation"]) == {ESCALATION_QUEUE, ESCALATION_NOTICES_QUEUE}
    owned = [queue for queues in CONSUMES.values() for queue in queues]
    assert sorted(owned) == sorted(QUEUES)


def test_each_service_may_publish_exactly_its_own_events() -> None:
    topics = topic_permissions("")
    published = {
        service: {
            key
            for event in EVENT_CLASSES
            if re.fullmatch(exchanges["grievances"]["write"], key := event.routing_key())
        }
        for service, exchanges in topics.items()
    }
    assert published == {
        "intake": {"grievance.received.v1", "contact.withdrawn.v1", "message.delivery.v1"},
        "router": {"case.assigned.v1", "case.updated.v1", "message.outbound.v1"},
        # The NGO's requests on a case go to the router, which owns cases.
        "escalation": {
            "case.escalated.v1",
            "case.deadline_soon.v1",
            "message.outbound.v1",
            "case.message_requested.v1",
            "case.transfer_requested.v1",
            "case.close_requested.v1",
        },
    }


def test_each_service_binds_and_dead_letters_only_its_own_queues() -> None:
    topics = topic_permissions("team-a.")
    keys = {key for bound in QUEUES.values() for key in bound}
    names = {f"team-a.{queue}" for queue in QUEUES} | {"team-a.bus.probe"}
    for service, exchanges in topics.items():
        main, dead = exchanges["team-a.grievances"], exchanges["team-a.grievances.dlx"]
        own = CONSUMES[service]
        assert {k for k in keys if re.fullmatch(main["read"], k)} == {k for q in own for k in QUEUES[q]}
        assert {n for n in names if re.fullmatch(dead["read"], n)} == {f"team-a.{q}" for q in own}
        # Its own twins (a rejected event's copy) and the breaker's probe, bound to nothing.
        assert {n for n in names if re.fullmatch(dead["write"], n)} == {
            *(f"team-a.{q}" for q in own),
            "team-a.bus.probe",
        }


def test_the_definitions_hold_the_topology_the_buses_declare() -> None:
    written = definitions("team-a.", PASSWORDS, 7)
    queues = {q["name"]: q["arguments"] for q in written["queues"]}
    assert queues == {
        **{f"team-a.{q}": queue_arguments("team-a.", q, 7) for q in QUEUES},
        **{f"team-a.{q}.dead": {"x-queue-type": "quorum"} for q in QUEUES},
    }
    assert all(q["durable"] and not q["auto_delete"] for q in written["queues"])
    assert {(e["name"], e["type"], e["durable"]) for e in written["exchanges"]} == {
        ("team-a.grievances", "topic", True),
        ("team-a.grievances.dlx", "topic", True),
    }
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in written["bindings"]}
    assert bindings == {
        *(("team-a.grievances", f"team-a.{q}", key) for q, keys in QUEUES.items() for key in keys),
        *(("team-a.grievances.dlx", f"team-a.{q}.dead", f"team-a.{q}") for q in QUEUES),
    }


def test_the_command_refuses_missing_or_placeholder_passwords(tmp_path: Path) -> None:
    environ = {f"RABBITMQ_{user.upper()}_PASSWORD": "change-me-long-random" for user in USERS}
    with pytest.raises(CliError, match="RABBITMQ_INTAKE_PASSWORD must be a random password"):
        run(make_settings(), str(tmp_path / "d.json"), io.StringIO(), environ)
    assert not (tmp_path / "d.json").exists()


def test_the_file_holds_hashes_never_passwords(tmp_path: Path) -> None:
    environ = {f"RABBITMQ_{user.upper()}_PASSWORD": PASSWORDS[user] for user in USERS}
    assert run(make_settings(amqp_namespace="team-a"), str(tmp_path / "d.json"), io.StringIO(), environ) == 0
    text = (tmp_path / "d.json").read_text()
    written = json.loads(text)
    assert {u["name"] for u in written["users"]} == set(USERS)
    assert {t["exchange"] for t in written["topic_permissions"]} == {
        "team-a.grievances",
        "team-a.grievances.dlx",
    }
    assert {q["arguments"].get("x-delivery-limit") for q in written["queues"]} == {None, 20}
    assert not any(password in text for password in PASSWORDS.values())
