"""The path of one grievance through the router: the modules it enters, in order, and its returns.

One delivery of the scenario of ``docs/router.md`` ("The path of one grievance through the router"):
a first SMS from a worker, which carries the worker's reporter key (so the router decides what the
message means before it opens a case), routed by the gateway number it was sent to, handed to the
router's consumer on the in-memory bus and store with the example registry loaded. An earlier
grievance from another worker warms the caches first, so the path is the one every later delivery
takes.

A profiler hook (:func:`sys.setprofile`) sees every call and every coroutine resumption during the
delivery. A call is an entry when code written in one module of the scope calls code written in
another (the nearest caller in the scope decides; a coroutine resumed counts from the coroutine that
awaits it), unless it enters the module entered last. A module's calls of its own functions are no
entry, and neither is code a module holds but nobody wrote in it (the ``__init__``, ``__eq__`` and
``__hash__`` that dataclasses generate: following the grievance never means reading them). An
entry into a module already entered is a return. Two scopes are counted: the router's own modules
(``services.router``), and those with ``shared`` (without the bus and logging, whose modules every
handler goes through the same way). Nothing but the calls is looked at, so the numbers say how
often following the grievance means opening another file, and another already read.

    .venv/bin/python -m bench.router_path
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import structlog
from cryptography.fernet import Fernet

from services.router.app import bootstrap
from services.router.registry import load_registry_file
from shared.contracts import GrievanceReceived
from shared.ids import reference_for
from shared.memorybus import MemoryBus
from shared.privacy import Keys, load_keys, reporter_key, seal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import open_memory_client

REGISTRY = Path(__file__).resolve().parents[1] / "examples" / "registry.yaml"
GATEWAY = "+8610690000001"  # GZ-001's number in the example registry
TEXT = "工资三个月没发，加班费也没有"
ROUTER = "services.router."
# Comprehensions run as frames of their own in Python 3.11 (inlined from 3.12 on): they are the
# body of the function that holds them, and no entry.
INLINE = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})
# The bus and logging: every handler passes through them alike; they are not the router's path.
OUTSIDE = frozenset(
    {
        "shared.messaging",
        "shared.memorybus",
        "shared.handlers",
        "shared.metrics",
        "shared.deadletters",
        "shared.log",
        "shared.liblogs",
    }
)


@dataclass(frozen=True)
class Walk:
    """The modules entered, in order (consecutive calls into one module are one entry)."""

    entries: tuple[str, ...]

    @property
    def modules(self) -> int:
        return len(set(self.entries))

    @property
    def returns(self) -> int:
        """Entries into a module already entered and left."""
        return len(self.entries) - self.modules

    def line(self) -> str:
        return " -> ".join(self.entries)

    def reentered(self) -> dict[str, int]:
        """How often each module was entered again after it was left, most often first."""
        counts = Counter(self.entries)
        return {module: n - 1 for module, n in counts.most_common() if n > 1}


def router_only(module: str) -> str | None:
    return module.removeprefix(ROUTER) if module.startswith(ROUTER) else None


def router_and_shared(module: str) -> str | None:
    if module.startswith("shared.") and module not in OUTSIDE:
        return module
    return router_only(module)


def written(frame: FrameType, scope: Callable[[str], str | None]) -> str | None:
    """The module in ``scope`` whose source holds the frame's code, if any (generated code has none)."""
    if frame.f_code.co_name in INLINE or not frame.f_code.co_filename.endswith(".py"):
        return None
    return scope(str(frame.f_globals.get("__name__", "")))


def caller(frame: FrameType, scope: Callable[[str], str | None]) -> str | None:
    """The module of the nearest caller of ``frame`` whose code a module in ``scope`` holds."""
    back = frame.f_back
    while back is not None and written(back, scope) is None:
        back = back.f_back
    return written(back, scope) if back is not None else None


@contextmanager
def recording(scope: Callable[[str], str | None]) -> Iterator[list[str]]:
    """Record the modules in ``scope`` entered while the block runs (calls and resumptions)."""
    entries: list[str] = []

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        module = written(frame, scope)
        if module is None or module == caller(frame, scope):
            return
        if not entries or entries[-1] != module:
            entries.append(module)

    sys.setprofile(hook)
    try:
        yield entries
    finally:
        sys.setprofile(None)


def first_sms(keys: Keys, phone: str) -> GrievanceReceived:
    """A worker's first SMS to GZ-001's gateway number, as intake publishes it."""
    gid = uuid.uuid4()
    return GrievanceReceived(
        correlation_id=gid,
        grievance_id=gid,
        reference=reference_for(gid),
        channel="sms",
        provider="twilio",
        provider_message_id="SM" + gid.hex,
        received_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        text=TEXT,
        language="zh",
        factory_hint=GATEWAY,
        gateway_number=GATEWAY,
        reporter_key=reporter_key(keys, phone),
        sealed_contact=seal(keys, phone),
        anonymous=True,
    )


async def measure() -> tuple[Walk, Walk]:
    """The path of one delivery: router modules only, and router and shared."""
    settings = Settings(
        contact_key=Fernet.generate_key().decode(), pseudonym_key="bench-router-path-key-0123"
    )
    keys = load_keys(settings)
    client = open_memory_client()
    db = client["router_path"]
    bus = MemoryBus()
    await bus.start()
    try:
        await load_registry_file(db, REGISTRY)
        runtime = Runtime(settings, bus, db, keys, lambda: datetime(2026, 3, 2, 8, 0, 1, tzinfo=UTC))
        consumer = bootstrap(runtime).consumer
        await consumer(first_sms(keys, "+8613900000001"))  # warms the caches
        paths: list[Walk] = []
        for scope in (router_only, router_and_shared):
            event = first_sms(keys, f"+86139000000{10 + len(paths)}")
            with recording(scope) as entries:
                await consumer(event)
            paths.append(Walk(tuple(entries)))
        assert await db["cases"].count_documents({}) == 3, "every delivery opens a case"
        return paths[0], paths[1]
    finally:
        await bus.close()
        client.close()


def main() -> None:
    # The path, not the log: lines below warnings are dropped.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    router, both = asyncio.run(measure())
    for title, path in (("router modules", router), ("router and shared modules", both)):
        print(f"{title}: {path.modules} modules, {path.returns} returns, {len(path.entries)} entries")
        again = ", ".join(f"{module} {n}" for module, n in path.reentered().items()) or "none"
        print(f"  returns to: {again}")
        print(f"  {path.line()}")


if __name__ == "__main__":
    main()
