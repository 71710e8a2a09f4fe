"""YAML from an operator's upload, parsed with bounds (pure).

``yaml.safe_load`` is safe from code execution, not from input: its composer recurses once per level
(``[[[[...`` exhausts the stack: ``RecursionError``), its integers go through ``int()`` (past 4 300
digits: ``ValueError``), an impossible date (``2001-02-30``) raises ``ValueError`` from ``datetime``,
and aliases let a kilobyte expand into a structure of billions of nodes for whatever walks it next.
:func:`safe_load` refuses each with :class:`Rejected`, a ``yaml.YAMLError``, so a caller that
already turns ``YAMLError`` into a 422 needs nothing else.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode

MAX_DEPTH = 32  # a registry is four levels deep
MAX_INT_LENGTH = 40  # characters of an integer's literal: 0x, 0o, 1_000 and sexagesimal included


class Rejected(yaml.YAMLError):
    """The document is not YAML this service accepts; the message says why, without echoing it."""


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            raise Rejected("aliases (*name) are not accepted")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise Rejected(f"the document is nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: ScalarNode) -> int:
        if len(str(node.value)) > MAX_INT_LENGTH:
            raise Rejected(f"a number in the document is longer than {MAX_INT_LENGTH} characters")
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise Rejected("a date in the document does not exist") from None


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedLoader.construct_yaml_timestamp)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with the bounds above; :class:`Rejected` (a ``yaml.YAMLError``) otherwise."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:  # the depth bound makes this unreachable; it stays a refusal regardless
        raise Rejected(f"the document is nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
