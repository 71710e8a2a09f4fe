"""Every message that tells someone to run a ``grievance`` command names the program so that the
command works when pasted: the console script is in the virtual environment, not on PATH."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

from services.cli import build_parser, run
from services.cli.demo import hints
from shared.invocation import grievance_command
from shared.safety import refusals
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def commands() -> list[str]:
    """The command names, as the parser itself lists them when given one it does not know."""
    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.suppress(SystemExit):
        build_parser().parse_args(["no-such-command"])
    listed = re.search(r"choose from (.+?)\)", said.getvalue())
    assert listed is not None, said.getvalue()
    names = sorted(name.strip(" '") for name in listed.group(1).split(","))
    assert "serve" in names and "token" in names
    return names


def bare_commands(source: str) -> list[tuple[int, str]]:
    """The string literals of ``source`` (docstrings aside) that name a bare ``grievance COMMAND``."""
    bare = re.compile(rf"(?<![\w/.-])grievance ({'|'.join(map(re.escape, commands()))})\b")
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and bare.search(node.value)
    ]
    # f"`grievance {command}`": the command word comes from a value, after a bare program name.
    before_a_value = re.compile(r"`grievance $")
    found += [
        (part.lineno, part.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part, following in zip(node.values, node.values[1:], strict=False)
        if isinstance(part, ast.Constant)
        and isinstance(part.value, str)
        and isinstance(following, ast.FormattedValue)
        and before_a_value.search(part.value)
    ]
    return found


def test_the_scan_finds_a_bare_command_and_passes_a_named_one() -> None:
    assert bare_commands('def f():\n    """Runs `grievance dlq list`."""\n    return "ok"\n') == []
    assert bare_commands('x = "run `grievance dlq list QUEUE`"\n') == [(1, "run `grievance dlq list QUEUE`")]
    assert bare_commands('x = f"see `{program} dlq list`; the grievance form"\n') == []
    assert bare_commands('x = f"run `grievance token list {flag}`"\n')
    assert bare_commands('x = f"`grievance {command}` needs MongoDB"\n') == [(1, "`grievance ")]
    assert bare_commands('x = f"`{program} {command}` needs MongoDB"\n') == []


def test_no_message_of_the_code_names_a_bare_grievance_command() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for folder in ("services", "shared")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, text in bare_commands(path.read_text(encoding="utf-8"))
    ]
    assert not found, "name the program with shared.invocation.grievance_command():\n" + "\n".join(found)


def named_bare(text: str) -> list[str]:
    """The commands of ``text`` that start with a bare ``grievance`` once the real program is taken out."""
    bare = re.compile(rf"(?<![\w/.-])grievance ({'|'.join(map(re.escape, commands()))})\b[^`)\n]*")
    return [m.group(0) for m in bare.finditer(text.replace(grievance_command(), "PROGRAM"))]


def call(argv: list[str], settings: Settings | None = None) -> str:
    out, err = io.StringIO(), io.StringIO()
    run(argv, settings=settings, out=out, err=err)
    return out.getvalue() + err.getvalue()


def test_the_messages_printed_name_the_program_that_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing.json")
    memory = Settings()
    messages = {
        "remote target": call(["token", "list", "--tokens", missing], memory),
        "in-memory store": call(["token", "list"], memory),
        "in-memory bus": call(["dlq", "list", "router.grievances"], memory),
        "demo without tokens": call(["demo", "--tokens", missing]),
        "system gone": hints.gone("router", "http://127.0.0.1:8081", ConnectionResetError()),
        "not routed": hints.not_routed(["wages"], "20 s"),
        "keys": " ".join(refusals(Settings(amqp_url="amqp://x"), contact_key=True, pseudonym_key=False)),
    }
    for argv in (["token", "issue"], ["serve"], ["demo"], ["broker-definitions"]):
        run([*argv, "--help"])
        usage, _, text = capsys.readouterr().out.partition("\n\n")  # the synopsis names the parser's prog
        assert usage.startswith("usage: grievance ")
        messages[" ".join(argv) + " --help"] = text
    for name, text in messages.items():
        assert grievance_command() in text, f"{name}: {text}"
        assert named_bare(text) == [], f"{name}: {text}"


def test_the_bare_name_check_sees_what_a_shell_would_not_find() -> None:
    assert named_bare("see `grievance dlq list router.grievances`") == [
        "grievance dlq list router.grievances"
    ]
    assert named_bare(f"see `{grievance_command()} dlq list`") == []
    assert named_bare("the grievance form") == []
