"""The ``grievance`` command line: help, usage errors, keys, and refusals that explain themselves."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from services.cli import build_parser, run
from services.cli.errors import CONFIG, OK, USAGE, where
from services.cli.text import display_width, table
from shared.settings import Settings


def call(argv: list[str], settings: Settings | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, settings=settings, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [
        ["serve"],
        ["registry", "load"],
        ["token", "issue"],
        ["token", "revoke"],
        ["token", "list"],
        ["dlq", "list"],
        ["dlq", "replay"],
        ["keys"],
        ["demo"],
    ]
    for argv in commands:
        assert run([*argv, "--help"]) == OK
        text = capsys.readouterr().out
        assert text.startswith(f"usage: grievance {' '.join(argv)}")
    parser_help = build_parser().format_help()
    for name in ("serve", "registry", "token", "dlq", "keys", "demo", "exit codes"):
        assert name in parser_help


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([]) == USAGE
    assert run(["serve", "everything"]) == USAGE
    assert run(["token", "issue", "--role", "boss"]) == USAGE
    assert "invalid choice" in capsys.readouterr().err


def test_keys_prints_two_env_lines_that_work() -> None:
    code, out, _ = call(["keys"])
    assert code == OK
    lines = dict(line.split("=", 1) for line in out.splitlines())
    assert set(lines) == {"GRIEVANCE_CONTACT_KEY", "GRIEVANCE_PSEUDONYM_KEY"}
    Fernet(lines["GRIEVANCE_CONTACT_KEY"].encode())  # a valid key, or this raises
    assert len(lines["GRIEVANCE_PSEUDONYM_KEY"]) >= 32
    assert call(["keys"])[1] != out


@pytest.mark.parametrize("service", ["intake", "router", "escalation"])
def test_one_service_with_memory_urls_explains_serve_all(
    service: str, settings_factory: Callable[..., Settings]
) -> None:
    code, _, err = call(["serve", service], settings_factory(amqp_url="amqp://127.0.0.1:5672/"))
    assert code == CONFIG
    assert "GRIEVANCE_MONGO_URL is memory://" in err
    assert "only inside one process" in err and "serve all" in err
    code, _, err = call(["serve", service], settings_factory())
    assert code == CONFIG and "GRIEVANCE_AMQP_URL and GRIEVANCE_MONGO_URL are memory://" in err


def test_one_service_without_its_keys_is_a_configuration_error() -> None:
    settings = Settings(amqp_url="amqp://127.0.0.1:1/", mongo_url="mongodb://127.0.0.1:1/")
    code, _, err = call(["serve", "intake"], settings)
    assert code == CONFIG
    assert "GRIEVANCE_CONTACT_KEY is not set" in err and "GRIEVANCE_PSEUDONYM_KEY is not set" in err
    assert "grievance keys" in err
    # The router never holds the contact key, so only the pseudonym key is asked for.
    code, _, err = call(["serve", "router"], settings)
    assert code == CONFIG
    assert "GRIEVANCE_PSEUDONYM_KEY" in err and "GRIEVANCE_CONTACT_KEY" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["token", "list"],
        ["token", "issue", "--role", "admin"],
        ["token", "revoke", "abc"],
        ["registry", "load", "examples/registry.yaml"],
    ],
)
def test_store_commands_refuse_the_in_memory_store(argv: list[str], settings: Settings) -> None:
    code, out, err = call(argv, settings)
    assert code == CONFIG
    assert out == ""
    assert "GRIEVANCE_MONGO_URL is memory://" in err and "--tokens tokens.json" in err


def test_dlq_refuses_the_in_memory_bus(settings: Settings) -> None:
    code, _, err = call(["dlq", "list", "router.grievances"], settings)
    assert code == CONFIG
    assert "GRIEVANCE_AMQP_URL is memory://" in err


def test_token_scopes_that_make_no_sense_are_usage_errors(settings_factory: Callable[..., Settings]) -> None:
    # Checked before the store is opened: this address never answers, and is never tried.
    settings = settings_factory(mongo_url="mongodb://127.0.0.1:1/")
    for argv, message in [
        (["token", "issue", "--role", "committee"], "--role committee needs --committee"),
        (["token", "issue", "--role", "admin", "--committee", "x"], "only for --role committee"),
        (["token", "issue", "--role", "admin", "--factory", "F"], "only for --role ngo"),
    ]:
        code, _, err = call(argv, settings)
        assert code == USAGE, argv
        assert message in err


def test_serve_flags_of_all_are_refused_for_one_service(settings: Settings) -> None:
    code, _, err = call(["serve", "router", "--registry", "x.yaml"], settings)
    assert code == USAGE and "belong to `serve all`" in err


def test_serve_all_with_a_missing_registry_fails_before_starting(settings: Settings) -> None:
    code, _, err = call(["serve", "all", "--registry", "no/such/registry.yaml"], settings)
    assert code == CONFIG and "does not exist" in err


def test_messages_never_show_credentials_of_urls() -> None:
    assert where("amqp://user:secret@broker:5672/vhost") == "amqp://broker:5672"
    assert where("mongodb://admin:pw@mongo/?replicaSet=rs0") == "mongodb://mongo"


def test_tables_align_chinese_text() -> None:
    rendered = table(["A", "B"], [["工资", "x"], ["ab", "y"]]).splitlines()
    assert display_width("工资") == 4
    assert [display_width(line[: line.index(mark)]) for line, mark in zip(rendered, "Bxy", strict=True)] == [
        6,
        6,
        6,
    ]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "GRIEVANCE_SLA",
            '{"normal": {"ack": "2 dayz"}}',
            "GRIEVANCE_SLA: normal.ack must be a duration such as 48 h, 2 days or PT48H.",
        ),
        (
            "GRIEVANCE_SLA",
            '{"urgent": {"ack": "PT1H"}}',
            "GRIEVANCE_SLA: urgent is not a known key; the keys are: critical, high, normal.",
        ),
        ("GRIEVANCE_SLA", "fast please", "GRIEVANCE_SLA is not JSON; write it like"),
        (
            "GRIEVANCE_SWEEP_INTERVAL",
            "fast",
            "GRIEVANCE_SWEEP_INTERVAL must be a duration such as 48 h, 2 days or PT48H.",
        ),
        (
            "GRIEVANCE_STATUS_RATE_LIMIT",
            "0",
            "GRIEVANCE_STATUS_RATE_LIMIT must be at least 1, for example 30.",
        ),
    ],
)
def test_configuration_errors_name_the_variable_in_plain_words(
    monkeypatch: pytest.MonkeyPatch, variable: Any, value: Any, expected: Any
) -> None:
    monkeypatch.setenv(variable, value)
    out, err = io.StringIO(), io.StringIO()
    assert run(["token", "list"], out=out, err=err) == CONFIG
    assert expected in err.getvalue()
    assert "Input should" not in err.getvalue() and "Field required" not in err.getvalue()


def test_the_demo_with_a_broken_tokens_file_says_which_to_pass(settings: Settings, tmp_path: Path) -> None:
    for content in ("{not json", "[1, 2]"):
        broken = tmp_path / "tokens.json"
        broken.write_text(content)
        code, out, err = call(["demo", "--tokens", str(broken)], settings)
        assert (code, out) == (CONFIG, "")
        assert f"tokens file {broken} " in err and "--tokens FILE" in err
