"""The labelled grievances the router learns from (``grievances.yaml`` beside this module).

They ship with the service because :mod:`services.router.critical_model` is trained on them at first
use; the lexicon was grown on the same texts. The held-out part that measures both stays with the
tests (``tests/data/grievances.yaml``) and is never read here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter

from shared.contracts import Category

DEVELOPMENT = Path(__file__).with_name("grievances.yaml")
Form = Literal["zh", "zh-hant", "zh-colloquial", "zh-misspelt", "en", "en-misspelt"]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    category: Category
    critical: bool
    form: Form


def load(part: str = "development", path: Path = DEVELOPMENT) -> list[Example]:
    """One part of a labelled file, validated (an unknown category or form is an error, not a miss)."""
    # A safe loader either way; libyaml's reads the 2 000 examples in 0.1 s, pure Python's in 0.8 s.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506
    return TypeAdapter(list[Example]).validate_python(data[part] or [])


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it
