"""The bounded YAML loader: what ``yaml.safe_load`` trusts is refused as a ``YAMLError``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.boundedyaml import Rejected, safe_load

REGISTRY = Path(__file__).resolve().parents[2] / "examples" / "registry.yaml"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 30_000 + "]" * 30_000, "nested more than 32 levels"),
        ("".join(" " * i + "- \n" for i in range(100)), "nested more than 32 levels"),
        ("x: " + "9" * 4_301, "longer than 40 characters"),
        ("x: 0x" + "f" * 40, "longer than 40 characters"),
        ("x: 2001-02-30", "does not exist"),
        ("a: &a [1, 2]\nb: *a\n", "aliases"),
        ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "aliases"),
    ],
)
def test_what_safe_load_trusts_is_refused(text: str, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        safe_load(text)
    assert issubclass(Rejected, yaml.YAMLError)


def test_the_example_registry_loads_as_safe_load_loads_it() -> None:
    text = REGISTRY.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.safe_load(text)


def test_malformed_yaml_is_still_a_yaml_error() -> None:
    with pytest.raises(yaml.YAMLError):
        safe_load("a: [1, 2\n")
