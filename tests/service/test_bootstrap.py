"""The bootstrap: each service started from its settings, with the adapters and keys it is given.

The services start here as ``python -m services.<name>`` starts them (:func:`shared.bootstrap.service_app`
opens the runtime when the application starts), on the real broker and the in-memory store.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet

from shared.bootstrap import build_app, open_runtime, service_app
from shared.privacy import KeyNotHeld, Keys, reporter_key, seal, unseal
from shared.runtime import RUNTIME
from shared.settings import Settings
from tests.conftest import make_settings
from tests.fakes import WORKER_PHONE
from tests.servers import ServiceServer, ops_client

ROOT = Path(__file__).resolve().parents[2]


def held(client: TestClient[web.Request, web.Application]) -> Keys:
    return client.app[RUNTIME].keys


@pytest.mark.broker
@pytest.mark.parametrize("configured", [False, True], ids=["no contact key", "contact key configured"])
async def test_router_starts_without_the_contact_key_and_cannot_unseal(
    amqp_settings: Settings, keys: Keys, configured: bool
) -> None:
    settings = amqp_settings.model_copy(update={} if configured else {"contact_key": None})
    async with (
        TestClient(ServiceServer(service_app("router", settings))) as client,
        ops_client(client.app) as ops,
    ):
        assert (await ops.get("/readyz")).status == 200
        router = held(client)
        assert not router.holds_contact
        assert router.pseudonym == keys.pseudonym  # PIN checks need it
        with pytest.raises(KeyNotHeld):
            unseal(router, seal(keys, WORKER_PHONE))


@pytest.mark.broker
async def test_escalation_starts_without_any_key(amqp_settings: Settings, keys: Keys) -> None:
    settings = amqp_settings.model_copy(update={"contact_key": None, "pseudonym_key": None})
    async with (
        TestClient(ServiceServer(service_app("escalation", settings))) as client,
        ops_client(client.app) as ops,
    ):
        assert (await ops.get("/readyz")).status == 200
        escalation = held(client)
        assert not escalation.holds_contact and not escalation.holds_pseudonym
        with pytest.raises(KeyNotHeld):
            unseal(escalation, seal(keys, WORKER_PHONE))
        with pytest.raises(KeyNotHeld):
            reporter_key(escalation, WORKER_PHONE)


@pytest.mark.broker
async def test_intake_alone_holds_both_keys(amqp_settings: Settings, keys: Keys) -> None:
    async with TestClient(ServiceServer(service_app("intake", amqp_settings))) as client:
        intake = held(client)
        assert unseal(intake, seal(keys, WORKER_PHONE)) == WORKER_PHONE
        assert intake.pseudonym == keys.pseudonym
        async with ops_client(client.app) as ops:
            ready = await (await ops.get("/readyz")).json()
        assert ready["status"] == "ready"


async def test_one_shared_runtime_hands_each_service_its_own_keys() -> None:
    """``serve all``: one runtime with every key, three applications that each see their own."""
    settings = make_settings()
    async with open_runtime(settings) as runtime:
        apps = {
            service: build_app(service, settings, runtime) for service in ("intake", "router", "escalation")
        }
        seen = {service: app[RUNTIME].keys for service, app in apps.items()}
        assert runtime.keys.holds_contact and runtime.keys.holds_pseudonym
    assert (seen["intake"].holds_contact, seen["intake"].holds_pseudonym) == (True, True)
    assert (seen["router"].holds_contact, seen["router"].holds_pseudonym) == (False, True)
    assert (seen["escalation"].holds_contact, seen["escalation"].holds_pseudonym) == (False, False)
    assert all(app[RUNTIME].bus is runtime.bus and app[RUNTIME].db is runtime.db for app in apps.values())


async def test_admin_runtimes_open_only_the_part_they_use() -> None:
    """A store command never touches the bus it names (this address would never answer)."""
    settings = make_settings(amqp_url="amqp://nobody:nothing@127.0.0.1:1/")
    async with open_runtime(settings, keys=Keys(), bus=False) as runtime:
        assert runtime.bus.is_ready()  # the in-memory twin
        assert not runtime.keys.holds_contact


def run_module(module: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m services.<name>`` as its container runs it; reports whether the CLI was imported."""
    code = (
        "import runpy, sys\n"
        "try:\n"
        f"    runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code, 'cli' if 'services.cli' in sys.modules else 'no-cli')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


PLACEHOLDERS = {
    "GRIEVANCE_AMQP_URL": "amqp://router:change-me-long-random@broker.invalid:5672/",
    "GRIEVANCE_MONGO_URL": "mongodb://grievance:change-me-long-random@store.invalid:27017/?replicaSet=rs0",
    "GRIEVANCE_PSEUDONYM_KEY": "change-me-run-grievance-keys-and-paste-here",
}


@pytest.mark.parametrize("service", ["intake", "router", "escalation"])
def test_a_service_module_refuses_placeholder_secrets_without_the_cli(service: str) -> None:
    result = run_module(f"services.{service}", PLACEHOLDERS)
    assert result.stdout.strip() == "exit 3 no-cli", result.stderr
    assert "refusing to start with unsafe settings" in result.stderr
    assert "the password in GRIEVANCE_AMQP_URL is a placeholder" in result.stderr
    assert "change-me" not in result.stderr  # the reason names the setting, never the value


def test_a_service_module_names_a_short_secret() -> None:
    environment = {
        "GRIEVANCE_AMQP_URL": "amqp://router:s3cr3tpw@broker.invalid:5672/",
        "GRIEVANCE_MONGO_URL": "mongodb://store.invalid:27017/",
        "GRIEVANCE_PSEUDONYM_KEY": "q" * 20,
        "GRIEVANCE_CONTACT_KEY": Fernet.generate_key().decode(),
    }
    result = run_module("services.router", environment)
    assert result.stdout.strip() == "exit 3 no-cli", result.stderr
    assert "the password in GRIEVANCE_AMQP_URL is 8 characters" in result.stderr
    assert "GRIEVANCE_PSEUDONYM_KEY is 20 characters; it needs at least 32" in result.stderr
    assert "GRIEVANCE_CONTACT_KEY" not in result.stderr  # the router is not given it, so not checked
