"""The bootstrap's choices and the refusals of :mod:`shared.safety`, as plain functions of the settings;
and that no other module makes the embedded-versus-production choice."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.intake.outbound import choose_delivery
from shared.bootstrap import HELD_KEYS, check_safe, check_service, mode_of
from shared.contracts import MessageOutbound
from shared.invocation import grievance
from shared.memorybus import MemoryBus
from shared.safety import is_placeholder, refusals
from shared.settings import ConfigurationError
from tests.conftest import make_settings

STRONG = "K" * 12 + "q9Zr-v7Tb_w2Ls4Mx8Pd"  # 32 characters, nothing a placeholder looks like


def deployed(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "amqp_url": f"amqp://router:{STRONG}@rabbitmq:5672/",
        "mongo_url": f"mongodb://grievance:{STRONG}@mongo:27017/?replicaSet=rs0",
        "contact_key": Fernet.generate_key().decode(),
        "pseudonym_key": STRONG + "abcdefghijk",
    }
    values.update(overrides)
    return values


def test_the_mode_follows_both_urls() -> None:
    assert mode_of(make_settings()).embedded
    half = mode_of(make_settings(amqp_url="amqp://127.0.0.1/"))
    assert not half.embedded and half.memory_store and not half.memory_bus


ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = "shared/bootstrap.py"  # the one module that reads the URLs to tell the mode
MODE_READERS = {"services/cli/__init__.py"}  # the CLI's entry: reads the mode once per command, hands it down
URL_SETTINGS = {"amqp_url", "mongo_url"}
PREDICATES = {"embedded", "memory_bus", "memory_store", "is_embedded"}  # a question to the settings


def _names_the_memory_url(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("memory:")
    ) or (isinstance(node, ast.Attribute) and node.attr in URL_SETTINGS)


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def mode_choices(source: str) -> list[str]:
    """Where ``source`` tells the embedded mode from production itself: a URL compared or its scheme
    tested, the bootstrap's ``memory://`` constant, or the mode read from the settings."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(map(_names_the_memory_url, [node.left, *node.comparators])):
            found.append(f"line {node.lineno}: compares a bus or store URL")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"startswith", "endswith"}
            and any(map(_names_the_memory_url, [node.func.value, *node.args]))
        ):
            found.append(f"line {node.lineno}: tests a bus or store URL's scheme")
        elif isinstance(node, ast.Call) and _called(node) == "mode_of":
            found.append(f"line {node.lineno}: reads the mode from the settings")
        elif isinstance(node, ast.Call) and _called(node) in PREDICATES:
            found.append(f"line {node.lineno}: asks whether it runs embedded")
        elif isinstance(node, ast.ImportFrom) and node.module == "shared.bootstrap":
            found += [f"line {node.lineno}: imports MEMORY" for alias in node.names if alias.name == "MEMORY"]
    return found


def test_the_detector_sees_each_way_of_choosing() -> None:
    assert mode_choices("ok = settings.mongo_url != 'x'\nmemory = 'memory://' in url")
    assert mode_choices("if settings.amqp_url.startswith('amqp'): pass")
    assert mode_choices("from shared import bootstrap\nbootstrap.mode_of(settings).embedded")
    assert mode_choices("from shared.bootstrap import MEMORY")
    assert mode_choices("spool = not memory_store(settings)")
    assert not mode_choices(
        "def banner(settings, *, embedded: bool) -> str:\n    return 'memory://' if embedded else ''"
    )


def test_only_the_bootstrap_chooses_between_the_embedded_mode_and_production() -> None:
    """Nothing but :mod:`shared.bootstrap` looks at ``memory://``; the CLI's entry alone asks it for
    the :class:`~shared.bootstrap.Mode`, once, and passes it down. Everything else receives adapters or
    plain flags (``spool``, ``development_channel``, ``embedded``, ``persistent``)."""
    offending: dict[str, list[str]] = {}
    for path in sorted([*ROOT.glob("shared/**/*.py"), *ROOT.glob("services/**/*.py")]):
        name = path.relative_to(ROOT).as_posix()
        if name == BOOTSTRAP:
            continue
        found = mode_choices(path.read_text(encoding="utf-8"))
        if name in MODE_READERS:
            found = [f for f in found if not f.endswith("reads the mode from the settings")]
        if found:
            offending[name] = found
    assert offending == {}


def test_only_intake_holds_the_contact_key_and_escalation_holds_nothing() -> None:
    assert HELD_KEYS == {"intake": (True, True), "router": (False, True), "escalation": (False, False)}


@pytest.mark.parametrize(
    ("twilio", "development", "expected"),
    [(True, False, "twilio"), (True, True, "twilio"), (False, True, "dev"), (False, False, "unconfigured")],
)
def test_delivery_never_falls_back_to_the_development_channel_unless_allowed(
    twilio: bool, development: bool, expected: str
) -> None:
    credentials = {"twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "t" * 32} if twilio else {}
    settings = make_settings(**credentials)
    assert choose_delivery(settings, development_channel=development) == expected


def test_safe_settings_are_not_refused() -> None:
    settings = make_settings(**deployed())
    assert refusals(settings, contact_key=True, pseudonym_key=True) == []
    check_service(settings, "intake")


@pytest.mark.parametrize(
    "value",
    [
        "change-me-long-random",
        "CHANGE_ME",
        "your-twilio-auth-token",
        "xxxxxxxxxxxxxxxxxxxxxxxx",
        "guest",
        "password1",
    ],
)
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


def test_generated_secrets_are_not_placeholders() -> None:
    assert not any(is_placeholder(Fernet.generate_key().decode()) for _ in range(200))


def test_each_secret_a_service_holds_is_checked_and_only_those() -> None:
    settings = make_settings(**deployed(contact_key="change-me", pseudonym_key="q" * 27))
    assert refusals(settings, contact_key=True, pseudonym_key=True) == [
        f"GRIEVANCE_CONTACT_KEY is a placeholder from the examples; generate one with `{grievance('keys')}`",
        "GRIEVANCE_PSEUDONYM_KEY is 27 characters; it needs at least 32",
    ]
    assert refusals(settings, contact_key=False, pseudonym_key=True) == [
        "GRIEVANCE_PSEUDONYM_KEY is 27 characters; it needs at least 32"
    ]
    assert refusals(settings, contact_key=False, pseudonym_key=False) == []


def test_a_short_previous_contact_key_is_refused_as_a_short_current_one_is() -> None:
    current = make_settings(**deployed(contact_key="Kq9Zr-v7Tb_w2Ls4"))
    assert refusals(current, contact_key=True, pseudonym_key=True) == [
        "GRIEVANCE_CONTACT_KEY is 16 characters; it needs at least 24"
    ]
    older = f"{Fernet.generate_key().decode()}, Kq9Zr-v7Tb_w2Ls4"
    previous = make_settings(**deployed(contact_key_previous=older))
    assert refusals(previous, contact_key=True, pseudonym_key=True) == [
        "key 2 of GRIEVANCE_CONTACT_KEY_PREVIOUS is 16 characters; it needs at least 24"
    ]
    assert refusals(previous, contact_key=False, pseudonym_key=True) == []  # the router holds none
    for settings in (current, previous):
        with pytest.raises(
            ConfigurationError, match=r"unsafe settings: .*16 characters; it needs at least 24"
        ):
            check_service(settings, "intake")
    check_safe(make_settings(contact_key_previous="Kq9Zr-v7Tb_w2Ls4"), ["intake"])  # embedded


def test_passwords_inside_urls_are_checked_url_decoded() -> None:
    weak = make_settings(
        **deployed(amqp_url="amqp://intake:change%2Dme@rabbitmq/", mongo_url="mongodb://g:short@m/")
    )
    assert refusals(weak, contact_key=False, pseudonym_key=False) == [
        "the password in GRIEVANCE_AMQP_URL is a placeholder from the examples",
        "the password in GRIEVANCE_MONGO_URL is 5 characters; it needs at least 24",
    ]
    without = make_settings(**deployed(mongo_url="mongodb+srv://cluster.example.net/"))
    assert refusals(without, contact_key=False, pseudonym_key=False) == []


def test_an_empty_twilio_token_is_refused_where_one_is_set() -> None:
    settings = make_settings(**deployed(twilio_auth_token=""))
    assert refusals(settings, contact_key=False, pseudonym_key=False) == [
        "GRIEVANCE_TWILIO_AUTH_TOKEN is empty"
    ]


def test_the_embedded_mode_is_never_refused_for_its_defaults() -> None:
    check_safe(make_settings(contact_key=None, pseudonym_key=None), ["intake", "router", "escalation"])
    with pytest.raises(ConfigurationError, match="unsafe settings"):
        check_safe(make_settings(amqp_url="amqp://guest:guest@rabbitmq/"), ["escalation"])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.2"])
def test_a_broker_on_loopback_is_not_refused_for_its_password(host: str) -> None:
    """Nobody elsewhere can use that password; a developer's node and the test nodes use guest."""
    settings = make_settings(**deployed(amqp_url=f"amqp://guest:guest@{host}:5672/"))
    assert refusals(settings, contact_key=True, pseudonym_key=True) == []


async def test_the_memory_bus_keeps_only_the_latest_events() -> None:
    """A long embedded run publishes without end; the bus keeps a window for tests, not every event."""
    bus = MemoryBus(keep_published=10)
    await bus.start()
    events = [
        MessageOutbound(
            correlation_id=uuid.uuid4(),
            channel="sms",
            sealed_contact=None,
            text=f"t{i}",
            language="en",
            purpose="ack",
        )
        for i in range(1000)
    ]
    for event in events:
        await bus.publish(event)
    assert 10 <= len(bus.published) <= 20
    assert bus.published == events[-len(bus.published) :]
    await bus.close()
