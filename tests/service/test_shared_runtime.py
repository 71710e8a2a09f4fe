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
    """Python's default threshold and nothing frozen during the test; the threshold back afterwards."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, *threshold[1:])
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_tuned_collector_runs_less_often_and_has_frozen_what_was_built(collector):
    tune_collector()
    assert gc.get_threshold()[0] == COLLECT_EVERY
    assert gc.get_freeze_count() > 0


async def test_run_service_tunes_the_collector_once_the_app_has_started(collector, settings, monkeypatch):
    opened = []

    async def open_resources(_: web.Application) -> Any:
        opened.append(gc.get_freeze_count())  # the runtime opens before the collector is tuned
        yield

    def create_app(_: Any) -> web.Application:
        app = web.Application()
        app.cleanup_ctx.append(open_resources)
        return app

    served: list[web.Application] = []
    monkeypatch.setattr(runtime.web, "run_app", lambda app, **_: served.append(app))
    run_service(create_app, 8080, settings)
    async with TestClient(ServiceServer(served[0])):
        assert opened == [0]
        assert gc.get_threshold()[0] == COLLECT_EVERY
        assert gc.get_freeze_count() > 0
