"""Fixtures every test layer shares: settings, the real broker with isolated names, and the store."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import aio_pika
import pytest
from cryptography.fernet import Fernet

from shared.log import configure_logging
from shared.memorybus import MemoryBus
from shared.messaging import DEAD_LETTER_EXCHANGE, DEAD_SUFFIX, EXCHANGE, QUEUES, Retry
from shared.privacy import Keys, load_keys
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database, open_memory_client, open_mongo_client
from tests.fakes import FakeClock, find_leaks

if TYPE_CHECKING:
    from tests.service.conversation_support import Services

AMQP_URL = os.environ.get("GRIEVANCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGO_URL = os.environ.get("GRIEVANCE_TEST_MONGO_URL")
FAST_RETRY = Retry(attempts=3, base=0.01, cap=0.05)

# Fixed keys for the whole run, so sealed values and reporter keys are stable inside a test.
TEST_KEYS = {"contact_key": Fernet.generate_key().decode(), "pseudonym_key": "test-pseudonym-key-0123456789"}

# One file per run, so two runs at once never check each other's lines; kept only when it leaks.
LOG_FILE = Path(os.environ.get("GRIEVANCE_TEST_LOG", f".pytest_cache/test-run-{os.getpid()}.log"))
LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
LOG_FILE.write_text("")
configure_logging("DEBUG", "json", also_to=LOG_FILE)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any log line of it holds a phone number or a text a test marked sensitive."""
    leaks = find_leaks(LOG_FILE.read_text(encoding="utf-8"))
    if leaks:
        print(f"\nPRIVACY: {len(leaks)} log line(s) of this run hold personal data:")
        for line in leaks[:5]:
            print("  ", line[:200])
        print(f"  (whole log kept in {LOG_FILE})")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif "GRIEVANCE_TEST_LOG" not in os.environ:
        LOG_FILE.unlink(missing_ok=True)


def make_settings(**overrides: Any) -> Settings:
    # No admin or operational listener unless a test asks for one: tests run side by side and would
    # share their ports.
    values: dict[str, Any] = {
        **TEST_KEYS,
        "amqp_publish_timeout": 2.0,
        "admin_port": None,
        "ops_port": None,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_factory() -> Callable[..., Settings]:
    return make_settings


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def keys(settings: Settings) -> Keys:
    return load_keys(settings)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _broker_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5672), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def amqp_url() -> str:
    """The real broker; skipped when absent, except under CI where a skipped broker test is a failure."""
    if not _broker_reachable(AMQP_URL):
        if os.environ.get("CI"):
            pytest.fail(
                f"RabbitMQ is not reachable at {urlparse(AMQP_URL).netloc.split('@')[-1]} and CI is set"
            )
        pytest.skip("RabbitMQ is not reachable")
    return AMQP_URL


@pytest.fixture
async def amqp_namespace(amqp_url: str) -> AsyncIterator[str]:
    """A prefix no other run uses; everything declared under it is deleted afterwards."""
    namespace = f"test-{uuid.uuid4().hex[:10]}."
    yield namespace
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in QUEUES:
            for name in (namespace + queue, namespace + queue + DEAD_SUFFIX):
                await channel.queue_delete(name)
        for exchange in (EXCHANGE, DEAD_LETTER_EXCHANGE):
            await channel.exchange_delete(namespace + exchange)


@pytest.fixture
def amqp_settings(amqp_url: str, amqp_namespace: str) -> Settings:
    return make_settings(amqp_url=amqp_url, amqp_namespace=amqp_namespace)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that uses the store (the ``db`` fixture, directly or through another) is marked
    ``store``: the real-server lane runs exactly those (``pytest -m store``)."""
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.store)


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    """mongomock in memory; a throwaway database on a real server when GRIEVANCE_TEST_MONGO_URL is set."""
    client = open_mongo_client(MONGO_URL) if MONGO_URL else open_memory_client()
    name = f"test_{uuid.uuid4().hex[:10]}"
    if MONGO_URL:
        # A lane whose server is gone must fail, never pass on nothing.
        await client.admin.command("ping")
    yield client[name]
    if MONGO_URL:
        await client.drop_database(name)
    client.close()


@pytest.fixture
async def memory_bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(retry=FAST_RETRY)
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
def runtime(settings: Settings, memory_bus: MemoryBus, db: Database, keys: Keys, clock: FakeClock) -> Runtime:
    """In-memory bus, the test store, fixed keys and a fake clock."""
    return Runtime(settings, memory_bus, db, keys, clock)


@pytest.fixture
async def conversation(
    settings_factory: Callable[..., Settings],
    memory_bus: MemoryBus,
    db: Database,
    keys: Keys,
    clock: FakeClock,
) -> AsyncIterator[Services]:
    """Intake, router and escalation on one in-memory runtime, set up as intake's tests set it up:
    the conversation tests' whole system, with the committees' tokens."""
    from tests.service.conversation_support import services
    from tests.service.intake_support import intake_settings

    runtime = Runtime(intake_settings(settings_factory), memory_bus, db, keys, clock)
    async with services(runtime) as running:
        yield running
