"""The shell examples of the README and docs/, read the way a newcomer pastes them.

A fenced block tagged ``sh`` is a script a reader runs as printed; ``console`` is a transcript whose
``$`` lines are commands. A ``sh`` block that cannot run in a test (it needs Docker's engine, takes
minutes, or is the test command itself) says so on the line before its fence with
``<!-- not run: reason -->``. Every command of every block, and every inline command in backticks, is
checked against what the project really has: make targets, the ``grievance`` parser, Python modules,
compose services, files.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
SHELL = "sh"
TRANSCRIPT = "console"
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>[^>]*?)\s*-->")
FENCE = re.compile(r"^```(?P<language>[\w-]*)\n(?P<body>.*?)^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"(?<!`)`(?P<code>[^`\n]+)`(?!`)")
# First words that mark a line as a command a reader would type.
COMMAND_WORDS = ("make", "grievance", ".venv/bin/", "python", "docker", "curl", "cp", "$ ")
OPERATORS = {"&&", "||", "|", ";", "&"}
# An upper-case word in an inline span is a placeholder (`grievance dlq show QUEUE ID`).
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]+\b")
SHELL_KEYWORDS = {"until", "while", "do", "done", "then", "if", "fi", "time"}


@dataclass(frozen=True)
class Block:
    """One fenced block of a document."""

    path: Path
    line: int
    language: str
    body: str
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def commands(self) -> list[str]:
        """The command lines of the block, continuations joined, transcript prompts removed."""
        logical = self.body.replace("\\\n", " ").splitlines()
        if self.language == TRANSCRIPT:
            return [line[2:] for line in logical if line.startswith("$ ")]
        return [line for line in logical if line.strip() and not line.lstrip().startswith("#")]


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        marker = NOT_RUN.fullmatch(before[-1].strip()) if before else None
        line = text.count("\n", 0, match.start()) + 1
        found.append(
            Block(path, line, match["language"], match["body"], marker["reason"] if marker else None)
        )
    return found


def all_blocks() -> list[Block]:
    return [block for path in DOCUMENTS for block in blocks(path)]


def inline_commands(path: Path) -> Iterator[tuple[str, str]]:
    """(where, command) for each inline code span outside fences that is a whole command line.

    Spans written as a synopsis (``token issue|revoke|list``, ``dlq ...``, ``<ID>``) are not commands.
    """
    text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8"))
    for match in INLINE.finditer(text):
        code = match["code"].strip()
        if not code.startswith(("grievance ", "make ", ".venv/bin/", "python -m ")):
            continue
        if any(mark in code for mark in ("|", "...", "…", "<", "[", "{")) or PLACEHOLDER.search(code):
            continue
        line = text.count("\n", 0, match.start()) + 1
        yield f"{path.relative_to(ROOT)}:{line}", code


def looks_like_commands(block: Block) -> bool:
    """An untagged block whose lines read as commands: it must say it is ``sh`` or ``console``."""
    lines = [line.strip() for line in block.body.splitlines() if line.strip()]
    return bool(lines) and all(line.startswith(COMMAND_WORDS) for line in lines)


# --- where `grievance` is -----------------------------------------------------------------------------

# `make run` installs `grievance` in the checkout's virtual environment, not on PATH. A block calls it
# by that path, or by its bare name once the block has activated the environment; a container's
# `grievance` (`docker compose run --rm router grievance ...`) is on its PATH and is not a bare call.
VENV_GRIEVANCE = ".venv/bin/grievance"
ACTIVATE = ". .venv/bin/activate"
ACTIVATES = {(".", ".venv/bin/activate"), ("source", ".venv/bin/activate")}
# A command that names `grievance` in the text: an inline span or a line of a block.
NAMES_GRIEVANCE = re.compile(r"(?:`|^)(?:\$ )?grievance [a-z]", re.MULTILINE)


def bare_grievance(block: Block) -> list[str]:
    """The lines of ``block`` that call ``grievance`` by its bare name, which the shell does not find."""
    found = []
    active = False
    for line in block.commands():
        try:
            commands = simple_commands(line)
        except ValueError:
            continue  # problems() reports the line
        for words in commands:
            if tuple(words[:2]) in ACTIVATES:
                active = True
            elif words[0] == "grievance" and not active:
                found.append(line)
    return found


def says_where_grievance_is(text: str) -> bool:
    """Whether ``text`` tells the reader both ways to reach ``grievance``."""
    return VENV_GRIEVANCE in text and ACTIVATE in text


def before_grievance_is_named(path: Path) -> str:
    """The text of ``path`` before its first command that names ``grievance`` (all of it if none)."""
    text = path.read_text(encoding="utf-8")
    first = NAMES_GRIEVANCE.search(text)
    return text[: first.start()] if first else text


# --- checking one command line against the project ------------------------------------------------


def simple_commands(line: str) -> list[list[str]]:
    """The simple commands of a shell line: words split at ``&&``, ``|``, ``;``, ``&``; comments dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in OPERATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    result = []
    for words in commands:
        while words and (words[0] in SHELL_KEYWORDS or re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0])):
            words = words[1:]
        if words:
            result.append(words)
    return result


def problems(line: str, *, complete: bool = True) -> list[str]:
    """What in ``line`` the project does not have (an empty list when every command exists).

    With ``complete=False`` a command may leave out required arguments: inline text names commands
    (`grievance dlq`) without spelling out every argument.
    """
    try:
        commands = simple_commands(line)
    except ValueError as exc:
        return [f"not a shell line ({exc})"]
    found: list[str] = []
    for words in commands:
        found += _check(words)
    if not complete:
        found = [problem for problem in found if "arguments are required" not in problem]
    return found


def _check(words: list[str]) -> list[str]:
    program, args = words[0], words[1:]
    if program == "make":
        return [f"make has no target {target!r}" for target in args if target not in make_targets()]
    if program in ("grievance", ".venv/bin/grievance"):
        return _check_grievance(args)
    if program in (".venv/bin/python", "python", "python3") and args[:1] == ["-m"]:
        return _check_module(args[1:])
    if program == "docker" and args[:1] == ["compose"]:
        return _check_compose(args[1:])
    if program == "cp" and args:
        return [f"no file {args[0]!r}"] if not (ROOT / args[0]).exists() else []
    return []


def _check_grievance(args: list[str]) -> list[str]:
    from services.cli import build_parser

    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            message = errors.getvalue().strip().splitlines()[-1:] or ["usage error"]
            return [f"grievance {' '.join(args)}: {message[0]}"]
    return []


def _check_module(args: list[str]) -> list[str]:
    if not args:
        return ["python -m without a module"]
    module, rest = args[0], args[1:]
    if importlib.util.find_spec(module) is None:
        return [f"no module {module!r}"]
    if module == "tests.realserver.lane" and "--" in rest:
        return _check(rest[rest.index("--") + 1 :])
    return []


def _check_compose(args: list[str]) -> list[str]:
    services = compose_services()
    found = []
    for index, word in enumerate(args):
        if word == "--scale" and index + 1 < len(args):
            name = args[index + 1].split("=", 1)[0]
            if name not in services:
                found.append(f"compose has no service {name!r}")
    if args[:1] == ["run"]:
        rest = args[1:]
        while rest and rest[0].startswith("-"):
            flag = rest.pop(0)
            if flag in ("-e", "--env", "--entrypoint", "-u", "--user", "-w", "--workdir") and rest:
                rest.pop(0)
        if not rest or rest[0] not in services:
            found.append(f"compose has no service {rest[:1]!r}")
        elif len(rest) > 1:
            found += _check(rest[1:])
    return found


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, re.MULTILINE))


def compose_services() -> set[str]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return set(document.get("services", {}))


def settings_names() -> set[str]:
    """Every ``GRIEVANCE_`` variable the code reads: settings fields and names written in code."""
    from shared.settings import Settings

    names = {f"GRIEVANCE_{field.upper()}" for field in Settings.model_fields}
    from services.notify.settings import NotifySettings

    names |= {f"GRIEVANCE_{field.upper()}" for field in NotifySettings.model_fields}
    for folder in ("services", "shared", "tests", "bench", "deploy"):
        for path in (ROOT / folder).rglob("*"):
            if (
                path.suffix in (".py", ".yml", ".yaml", ".sh", "")
                and path.is_file()
                and path != Path(__file__)
            ):
                names |= set(re.findall(r"GRIEVANCE_[A-Z0-9_]+", path.read_text(errors="replace")))
    for path in (ROOT / "Makefile", ROOT / "docker-compose.yml", ROOT / ".ci" / "run"):
        names |= set(re.findall(r"GRIEVANCE_[A-Z0-9_]+", path.read_text(encoding="utf-8")))
    return names
