"""The README and docs/ name only commands, targets, modules, services and settings that exist,
and call ``grievance`` where the shell finds it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docexamples import (
    ACTIVATE,
    DOCUMENTS,
    ROOT,
    SHELL,
    TRANSCRIPT,
    VENV_GRIEVANCE,
    Block,
    all_blocks,
    bare_grievance,
    before_grievance_is_named,
    inline_commands,
    looks_like_commands,
    problems,
    says_where_grievance_is,
    settings_names,
)

COMMAND_BLOCKS = [block for block in all_blocks() if block.language in (SHELL, TRANSCRIPT)]


def test_the_documents_have_shell_examples() -> None:
    assert len(COMMAND_BLOCKS) >= 10
    assert any(block.not_run is None for block in COMMAND_BLOCKS)


def test_every_block_of_commands_says_it_is_shell() -> None:
    untagged = [block.where for block in all_blocks() if block.language == "" and looks_like_commands(block)]
    assert not untagged, f"tag these blocks `sh` (or `console` for a transcript): {untagged}"


@pytest.mark.parametrize("block", COMMAND_BLOCKS, ids=lambda block: block.where)
def test_every_command_of_a_block_exists(block: Block) -> None:
    found = [f"{line!r}: {problem}" for line in block.commands() for problem in problems(line)]
    assert not found, f"{block.where}: {found}"


def test_a_block_that_is_not_run_says_why() -> None:
    for block in COMMAND_BLOCKS:
        assert block.not_run is None or len(block.not_run) > 10, block.where


def test_every_inline_command_exists() -> None:
    found = [
        f"{where}: {problem}"
        for path in DOCUMENTS
        for where, code in inline_commands(path)
        for problem in problems(code, complete=False)
    ]
    assert not found


def test_every_documented_variable_is_read_by_the_code() -> None:
    known = settings_names()
    unknown = sorted(
        f"{path.name}: {name}"
        for path in (*DOCUMENTS, ROOT / ".env.example")
        for name in set(re.findall(r"GRIEVANCE_[A-Z0-9_]+", path.read_text(encoding="utf-8")))
        if name not in known
    )
    assert not unknown


def test_the_cli_page_gives_the_recipe_of_make_run() -> None:
    recipe = re.search(
        r"^run:.*\n\t\$\(BIN\)/(?P<command>.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE
    )
    assert recipe is not None
    cli = next(block for block in COMMAND_BLOCKS if "# = make run" in block.body)
    assert cli.body.split("#")[0].strip() == f".venv/bin/{recipe['command'].strip()}"  # $(BIN) is .venv/bin


@pytest.mark.parametrize("block", COMMAND_BLOCKS, ids=lambda block: block.where)
def test_no_example_calls_grievance_where_the_shell_does_not_find_it(block: Block) -> None:
    bare = bare_grievance(block)
    assert not bare, (
        f"{block.where}: `grievance` is in .venv/bin, not on PATH: write {VENV_GRIEVANCE} "
        f"(or activate the environment first in the block): {bare}"
    )


@pytest.mark.parametrize("document", ["README.md", "docs/cli.md"])
def test_the_newcomers_pages_say_where_grievance_is_before_naming_it(document: str) -> None:
    """The README and the command's own page say it once, early; the other pages name the command."""
    assert says_where_grievance_is(before_grievance_is_named(ROOT / document)), (
        f"{document}: say where `grievance` is ({VENV_GRIEVANCE}, or `{ACTIVATE}`) before the first "
        "command that names it"
    )


# The checker itself: each kind of mistake a document can make is caught.


@pytest.mark.parametrize(
    "line",
    [
        "make rnu",
        "grievance serve everything",
        "grievance token issue --role committe --committee gz-001-spt",
        ".venv/bin/python -m bench.nothing",
        ".venv/bin/python -m tests.realserver.lane -- make tset",
        "docker compose run --rm routr grievance registry load examples/registry.yaml",
        "docker compose run --rm router grievance registry lod examples/registry.yaml",
        "docker compose up -d --scale routers=3",
        "cp .env.sample .env",
        "make run && make dmeo",
    ],
)
def test_the_checker_finds_what_does_not_exist(line: str) -> None:
    assert problems(line)


@pytest.mark.parametrize(
    "line",
    [
        "GRIEVANCE_INTAKE_PORT=9080 make run   # a comment with `make nothing`",
        "grievance token issue --role committee --committee gz-001-spt",
        ".venv/bin/python -m tests.realserver.lane -- .venv/bin/python -m bench.router",
        "docker compose run --rm --no-deps -e X=1 intake grievance keys --stack",
        "until docker exec x mongosh; do sleep 1; done",
    ],
)
def test_the_checker_accepts_what_exists(line: str) -> None:
    assert problems(line) == []


@pytest.mark.parametrize(
    ("body", "bare"),
    [
        ("grievance token list --tokens tokens.json\n", True),
        ("make run && grievance demo\n", True),
        ("$ grievance dlq list router.grievances\nqueue empty\n", True),
        (".venv/bin/grievance token list --tokens tokens.json\n", False),
        (". .venv/bin/activate\ngrievance token list --tokens tokens.json\n", False),
        ("docker compose run --rm router grievance token issue --role ngo\n", False),
        ("curl -s localhost:8080/healthz   # then grievance demo\n", False),
    ],
)
def test_the_checker_finds_a_bare_grievance(body: str, bare: bool) -> None:
    language = TRANSCRIPT if body.startswith("$ ") else SHELL
    block = Block(ROOT / "README.md", 1, language, body, None)
    assert bool(bare_grievance(block)) is bare


def test_the_checker_finds_a_page_that_names_grievance_before_saying_where_it_is(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Run `grievance token list`.\n\nIt is `.venv/bin/grievance` (or `. .venv/bin/activate`).\n"
    )
    assert not says_where_grievance_is(before_grievance_is_named(page))
    page.write_text(
        "It is `.venv/bin/grievance` (or `. .venv/bin/activate`).\n\nRun `grievance token list`.\n"
    )
    assert says_where_grievance_is(before_grievance_is_named(page))


def test_inline_text_may_name_a_command_without_its_arguments() -> None:
    assert problems("grievance dlq", complete=False) == []
    assert problems("grievance dlq") != []
