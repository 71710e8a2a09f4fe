"""The banner of ``serve all``: every command it prints works when pasted as printed.

``grievance`` is inside the virtual environment, not on PATH, and the run's files are those it was
given, not necessarily the defaults of the commands: each printed command says both.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.cli import build_parser
from services.cli.banner import banner
from shared.bootstrap import mode_of
from shared.invocation import grievance_command
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "examples" / "registry.yaml"
TOKENS = {"committees": {"gz-001-spt": "gvt_abc"}, "ngo": "gvt_ngo", "admin": "gvt_admin"}
DEPLOYED = Settings(mongo_url="mongodb://mongo.invalid:27017/", amqp_url="amqp://rabbit.invalid/")


def grievance_lines(shown: str) -> list[list[str]]:
    """The arguments of every ``grievance`` command the banner prints, trailing comments dropped."""
    program = grievance_command()
    found = []
    for line in shown.splitlines():
        at = line.find(program)
        if at >= 0:
            words = shlex.split(line[at + len(program) :], comments=True)
            found.append(words)
    return found


def parsed(words: list[str]) -> argparse.Namespace:
    """``words`` through the real parser; a usage error fails the test with argparse's message."""
    try:
        return build_parser().parse_args(words)
    except SystemExit:
        pytest.fail(f"the banner prints a command the parser refuses: grievance {' '.join(words)}")


def test_grievance_is_named_by_a_path_that_works_from_any_folder() -> None:
    program = shlex.split(grievance_command())
    assert Path(program[0]).is_absolute() and Path(program[0]).is_file()
    result = subprocess.run(  # noqa: S603 - the banner's own program
        [*program, "--help"], cwd="/", capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and "usage: grievance" in result.stdout, result.stderr


def test_the_demo_line_names_the_runs_tokens_file_and_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a folder without the Makefile
    registry = tmp_path / "factories.yaml"
    registry.write_text(REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
    shown = banner(Settings(), Path("factories.yaml"), Path("tokens.json"), TOKENS, True, embedded=True)
    demos = [words for words in grievance_lines(shown) if words[0] == "demo"]
    assert len(demos) == 1, shown
    args = parsed(demos[0])
    assert (args.tokens, args.registry) == ("tokens.json", "factories.yaml")
    assert "make demo" not in shown


def test_make_demo_only_where_it_is_the_same_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    same = banner(
        Settings(), Path("examples/registry.yaml"), Path("tokens.json"), TOKENS, True, embedded=True
    )
    assert "  make demo" in same.splitlines()
    other = banner(Settings(), REGISTRY, Path("tokens.json"), TOKENS, True, embedded=True)
    assert "make demo" not in other
    assert [parsed(w).registry for w in grievance_lines(other) if w[0] == "demo"] == [str(REGISTRY)]


def test_no_demo_line_without_demo_deadlines_or_a_registry() -> None:
    for shown in (
        banner(Settings(), REGISTRY, Path("tokens.json"), TOKENS, False, embedded=True),
        banner(
            Settings(), None, Path("tokens.json"), TOKENS, True, embedded=True
        ),  # the demo's factories are missing
    ):
        assert "make demo" not in shown and not [w for w in grievance_lines(shown) if w[0] == "demo"]


def test_a_demo_line_that_needs_the_twilio_token_says_so_in_a_comment() -> None:
    shown = banner(
        DEPLOYED, REGISTRY, Path("tokens.json"), TOKENS, True, twilio_in_tokens=False, embedded=False
    )
    line = next(line for line in shown.splitlines() if " demo " in line or "make demo" in line)
    assert "# with GRIEVANCE_TWILIO_AUTH_TOKEN set" in line


def test_the_admin_api_is_named_with_a_command_that_reaches_it() -> None:
    shown = banner(Settings(), REGISTRY, Path("tokens.json"), TOKENS, False, embedded=True)
    assert any(
        line.startswith("  admin API   http://127.0.0.1:8083  ") and "admin token" in line
        for line in shown.splitlines()
    ), shown
    listing = [words for words in grievance_lines(shown) if words[:2] == ["token", "list"]]
    assert len(listing) == 1
    assert parsed(listing[0]).tokens == "tokens.json"
    off = banner(Settings(admin_port=None), REGISTRY, Path("tokens.json"), TOKENS, False, embedded=True)
    assert "admin API" not in off and not grievance_lines(off)


@pytest.mark.parametrize(
    ("settings", "tokens_out", "tokens", "elsewhere"),
    [
        (Settings(), Path("tokens.json"), TOKENS, ()),
        (Settings(), None, {"committees": {}}, ()),
        (DEPLOYED, Path("tokens.json"), {"committees": {}}, ("committee gz-001-spt", "ngo", "admin")),
        (DEPLOYED, Path("tokens.json"), {"committees": {}, "admin": "gvt_admin"}, ("ngo",)),
        (DEPLOYED, None, {"committees": {}}, ()),
    ],
)
def test_every_grievance_command_of_the_banner_parses(
    settings: Settings, tokens_out: Any, tokens: Any, elsewhere: Any
) -> None:
    shown = banner(
        settings, REGISTRY, tokens_out, tokens, True, embedded=mode_of(settings).embedded, elsewhere=elsewhere
    )
    assert "`grievance " not in shown  # a bare `grievance` is not found on PATH
    remote = str(tokens_out) if tokens_out is not None and "admin" in tokens else None
    for words in grievance_lines(shown):
        args = parsed(words)
        if args.command == "token":
            # Through the admin API exactly when the tokens file holds the admin token.
            assert args.tokens == remote, words


def test_tokens_named_elsewhere_each_get_the_command_that_makes_a_new_one() -> None:
    elsewhere = ("committee gz-001-spt", "ngo")
    shown = banner(
        DEPLOYED,
        REGISTRY,
        Path("tokens.json"),
        {"committees": {}},
        False,
        embedded=False,
        elsewhere=elsewhere,
    )
    assert "an earlier start's still work: committee gz-001-spt, ngo" in shown
    issued = [parsed(w) for w in grievance_lines(shown) if w[:2] == ["token", "issue"]]
    # (The NGO console's line says again how an NGO token is made.)
    assert {(a.role, a.committee) for a in issued} == {("committee", "gz-001-spt"), ("ngo", None)}
    assert any(w[:2] == ["token", "list"] for w in grievance_lines(shown))


def test_the_banner_names_the_console_and_how_a_committee_signs_in(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text('{"committees": {"gz-001-spt": "gvt_abc"}}', encoding="utf-8")
    shown = banner(
        Settings(), None, tokens_file, {"committees": {"gz-001-spt": "gvt_abc"}}, False, embedded=True
    )
    assert "console     http://127.0.0.1:8081/console/" in shown
    lines = shown.splitlines()
    at = next(
        i for i, line in enumerate(lines) if "Committee console: open http://127.0.0.1:8081/console/" in line
    )
    printing = lines[at + 1].strip()
    assert printing.startswith("python3 -c ")
    # The line prints the token when pasted (python3 here is this interpreter).
    result = subprocess.run(  # noqa: S603 - the banner's own line, run by bash
        ["bash", "-c", printing.replace("python3", sys.executable, 1)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.strip() == "gvt_abc", result.stderr


def test_the_banner_names_the_ngo_console_and_how_the_ngo_signs_in(tmp_path: Path) -> None:
    tokens = {"committees": {"gz-001-spt": "gvt_abc"}, "ngo": "gvt_ngo"}
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps(tokens), encoding="utf-8")
    lines = banner(Settings(), None, tokens_file, tokens, False, embedded=True).splitlines()
    assert any(line.startswith("  ngo console http://127.0.0.1:8082/console/") for line in lines)
    assert any(line.startswith("  case page   http://127.0.0.1:8081/case/") for line in lines)
    at = next(i for i, line in enumerate(lines) if "NGO console: open http://127.0.0.1:8082/console/" in line)
    printing = lines[at + 1].strip()
    result = subprocess.run(  # noqa: S603 - the banner's own line, run by bash
        ["bash", "-c", printing.replace("python3", sys.executable, 1)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.strip() == "gvt_ngo", result.stderr
    # A deployment's start that issued no NGO token says how to make one; an embedded start issues
    # one every time.
    again = banner(DEPLOYED, None, tokens_file, {"committees": {}}, False, embedded=False).splitlines()
    at = next(i for i, line in enumerate(again) if "NGO console: open" in line)
    assert [parsed(w).role for w in grievance_lines(again[at + 1])] == ["ngo"]
