"""The README and docs/ name only commands, targets, modules, services and settings that exist."""

from __future__ import annotations

import re

import pytest

from tests.docexamples import (
    DOCUMENTS,
    ROOT,
    SHELL,
    TRANSCRIPT,
    Block,
    all_blocks,
    inline_commands,
    looks_like_commands,
    problems,
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
    assert cli.body.split("#")[0].strip() == recipe["command"].strip()


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


def test_inline_text_may_name_a_command_without_its_arguments() -> None:
    assert problems("grievance dlq", complete=False) == []
    assert problems("grievance dlq") != []
