"""Registry validation (pure) and the example registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.router.registry import RegistryError, parse_registry

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registry.yaml"


def base() -> dict[str, Any]:
    return {
        "factories": [
            {
                "code": "GZ-001",
                "name": "广州某服装有限公司",
                "sms_numbers": ["+86 106 9000 0001"],
                "keywords": ["GZ001"],
                "committees": [
                    {
                        "id": "gz-001-spt",
                        "name": "社会绩效小组",
                        "categories": ["all"],
                        "members": [{"name": "王芳", "aliases": ["王主任"], "role": "management"}],
                    }
                ],
            }
        ]
    }


def test_the_example_is_valid_and_rich_enough() -> None:
    registry = parse_registry(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    committees = [c for f in registry.factories for c in f.committees]
    assert len(registry.factories) >= 2 and len(committees) >= 3
    assert any(c.categories != ["all"] for c in committees)
    assert any(m.aliases for c in committees for m in c.members)
    assert all(n.startswith("+86106900000") for f in registry.factories for n in f.sms_numbers)


def test_numbers_are_normalised_to_e164() -> None:
    registry = parse_registry(base())
    assert registry.factories[0].sms_numbers == ["+8610690000001"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("code",), {"$gt": ""}),
        (("code",), "GZ 001"),
        (("committees", 0, "id"), "Bad Id!"),
        (("committees", 0, "categories"), ["wages", "bribery"]),
        (("committees", 0, "categories"), ["all", "wages"]),
        (("committees", 0, "members", 0, "role"), "boss"),
        (("sms_numbers",), ["not a number"]),
        (("unexpected",), 1),
    ],
)
def test_invalid_entries_are_refused(path: tuple[str | int, ...], value: object) -> None:
    data = base()
    target = data["factories"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(RegistryError):
        parse_registry(data)


def test_duplicates_across_factories_are_refused() -> None:
    data = base()
    twin = dict(data["factories"][0], code="GZ-002", keywords=["other"], sms_numbers=[], committees=[])
    data["factories"].append(twin)
    parse_registry(data)
    twin["keywords"] = ["gz001"]
    with pytest.raises(RegistryError, match="keywords"):
        parse_registry(data)
