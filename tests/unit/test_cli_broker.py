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

from services.cli.broker import USERS, password_hash, permissions, run, topic_permissions
from services.cli.errors import CliError
from shared.contracts import EVENT_CLASSES
from shared.messaging import QUEUES
from tests.conftest import make_settings

PASSWORDS = {user: secrets.token_urlsafe(24) for user in USERS}


def test_password_hashes_are_rabbitmqs_salted_sha256() -> None:
    salt = bytes.fromhex("908dc60a")
    decoded = base64.b64decode(password_hash("test12", salt))
    assert decoded[:4] == salt and decoded[4:] == hashlib.sha256(salt + b"test12").digest()
    assert password_hash("test12") != password_hash("test12")  # a fresh salt each time


def test_every_topology_name_is_covered_under_the_namespace() -> None:
    granted = permissions("team-a.")
    for service, rules in granted.items():
        for queue in QUEUES:
            assert re.fullmatch(rules["configure"], f"team-a.{queue}"), (service, queue)
            assert re.fullmatch(rules["read"], f"team-a.{queue}")
            assert not re.fullmatch(rules["read"], f"team-a.{queue}.dead")
            assert not re.fullmatch(rules["configure"], queue)  # only under the namespace
        assert re.fullmatch(rules["write"], "amq.default")


def test_each_service_may_publish_exactly_its_own_events() -> None:
    topics = topic_permissions("")
    published = {
        service: {key for event in EVENT_CLASSES if re.fullmatch(rules["write"], key := event.routing_key())}
        for service, rules in topics.items()
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
    assert {t["exchange"] for t in written["topic_permissions"]} == {"team-a.grievances"}
    assert not any(password in text for password in PASSWORDS.values())
