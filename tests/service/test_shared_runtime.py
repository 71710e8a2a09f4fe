"""The cycle collector settings every service process runs with."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared import runtime
from shared.runtime import COLLECT_EVERY, run_service, tune_collector
from tests.servers import ServiceServer


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_a_tuned_app_collects_less_often_and_freezes_what_startup_built(collector):
    gc.unfreeze()
    opened = []

    async def open_resources(_: web.Application) -> Any:
        opened.append(gc.get_freeze_count())  # the runtime opens before the freeze
        yield

    app = web.Application()
    app.cleanup_ctx.append(open_resources)
    tune_collector(app)
    assert gc.get_threshold()[0] == COLLECT_EVERY
    async with TestClient(ServiceServer(app)):
        assert opened == [0]
        assert gc.get_freeze_count() > 0


def test_run_service_tunes_the_collector(collector, settings, monkeypatch):
    served: list[web.Application] = []
    monkeypatch.setattr(runtime.web, "run_app", lambda app, **_: served.append(app))
    run_service(lambda _: web.Application(), 8080, settings)
    assert gc.get_threshold()[0] == COLLECT_EVERY
    assert runtime._freeze_startup_heap in served[0].on_startup
