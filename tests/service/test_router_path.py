"""The path of one grievance through the router (``bench/router_path.py``, docs/router.md): every
module that carries it is entered once, but the case store, read first and written last, and the
dialogue not at all for a new case."""

from __future__ import annotations

from collections import Counter

from bench.router_path import measure


async def test_one_grievance_enters_each_module_that_carries_it_once() -> None:
    router, both = await measure()
    entered = Counter(router.entries)
    assert entered.pop("case_store") == 2
    assert set(entered.values()) == {1}, router.line()
    assert "dialogue" not in router.entries
    # The case store is read first and written last, nothing in between.
    assert router.entries[:2] == ("consumer", "case_store")
    assert router.entries[-1] == "case_store"
    assert router.returns == 1
    # The shared scope sees the same router path, with the shared modules in between.
    assert _collapsed([m for m in both.entries if not m.startswith("shared.")]) == list(router.entries)


def _collapsed(entries: list[str]) -> list[str]:
    return [m for i, m in enumerate(entries) if i == 0 or entries[i - 1] != m]
