"""What aiohttp writes about a request it cannot parse: never the bytes it could not parse.

The request line of the public status page carries the worker's PIN; a line too long, or a header
that does not parse, makes aiohttp log the parser's exception, which quotes the offending bytes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from shared.web import json_response, new_app
from tests.conftest import LOG_FILE
from tests.fakes import sensitive
from tests.servers import ServiceServer

PIN_QUERY = sensitive("pin=482915&note=locked-fire-exit-on-night-shift")


async def ok(_: web.Request) -> web.Response:
    return json_response({"ok": True})


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = new_app("test")
    app.router.add_get("/api/v1/status/{reference}", ok)
    server = ServiceServer(app)
    async with server:
        yield server


@pytest.mark.parametrize(
    "request_bytes",
    [
        # a request line past aiohttp's 8 190 bytes
        b"GET /api/v1/status/ABCDE-FGHJK?"
        + PIN_QUERY.encode()
        + b"&pad="
        + b"x" * 9_000
        + b" HTTP/1.1\r\n\r\n",
        # a header aiohttp rejects, after the line
        b"GET /api/v1/status/ABCDE-FGHJK?"
        + PIN_QUERY.encode()
        + b" HTTP/1.1\r\nBad\x01Header: "
        + PIN_QUERY.encode()
        + b"\r\n\r\n",
    ],
)
async def test_a_malformed_request_is_a_warning_without_its_bytes(
    server: TestServer, request_bytes: bytes
) -> None:
    before = len(LOG_FILE.read_text(encoding="utf-8").splitlines())
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(request_bytes)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    await asyncio.sleep(0.05)  # the record is written once the handler has answered
    new = LOG_FILE.read_text(encoding="utf-8").splitlines()[before:]
    records = [json.loads(line) for line in new if "aiohttp.server" in line]
    assert records, new
    for record in records:
        assert record["level"] == "warning"
        assert record["event"].startswith("malformed request from 127.0.0.1: ")
        assert "exception" not in record
    assert not any("482915" in line or "locked-fire-exit" in line for line in new)
