"""The tests' TCP proxy moves bytes, holds them in a blackhole, and severs connections."""

from __future__ import annotations

import asyncio

import pytest

from tests.tcpproxy import tcp_proxy


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


async def test_bytes_flow_stop_in_a_blackhole_and_come_back() -> None:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    async with server, tcp_proxy("127.0.0.1", server.sockets[0].getsockname()[1]) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"one")
        assert await asyncio.wait_for(reader.read(3), 2) == b"one"

        proxy.blackhole()
        writer.write(b"two")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(3), 0.3)

        proxy.restore()
        assert await asyncio.wait_for(reader.read(3), 2) == b"two"

        proxy.sever()
        assert await asyncio.wait_for(reader.read(3), 2) == b""
        writer.close()
