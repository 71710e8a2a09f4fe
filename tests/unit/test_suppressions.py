"""Every silenced check in the project's code says why (a reason after it, or a comment just above).

``PGH`` (pyproject.toml) already makes each ``noqa`` and ``type: ignore`` name what it silences; a
name says what, not why, and the why is what a reader needs to judge whether it still holds.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUPPRESSION = re.compile(
    r"#\s*(?:noqa(?::\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?|type:\s*ignore(?:\[[^\]]*\])?)"
)
# After the codes: " - why", or "  # why" (a second comment).
REASON_AFTER = re.compile(r"^\s*(?:-|—|#)\s*\S")


def unexplained(lines: list[str]) -> list[int]:
    """The 1-based numbers of lines whose suppression gives no reason."""
    found = []
    for number, line in enumerate(lines, start=1):
        match = SUPPRESSION.search(line)
        if match is None:
            continue
        if REASON_AFTER.match(line[match.end() :]):
            continue
        above = lines[number - 2].strip() if number > 1 else ""
        if above.startswith("#"):
            continue
        found.append(number)
    return found


def test_the_rule_tells_a_reason_from_none() -> None:
    assert unexplained(["x = 1  # noqa: S104"]) == [1]
    assert unexplained(["x = 1  # type: ignore[valid-type]"]) == [1]
    assert unexplained(["x = 1  # noqa: S104 - compares, binds nothing"]) == []
    assert unexplained(["x = 1  # type: ignore[arg-type]  # narrowed above"]) == []
    assert (
        unexplained(["# made at run time, which mypy cannot see", "x = 1  # type: ignore[valid-type]"]) == []
    )
    assert unexplained(["x = 1  # a comment that silences nothing"]) == []


def test_every_suppression_in_the_code_says_why() -> None:
    missing = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("shared", "services", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number in unexplained(path.read_text(encoding="utf-8").splitlines())
    ]
    assert missing == [], "give these a reason: " + ", ".join(missing)
