"""Which address is the client's behind a trusted proxy (pure)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from shared.forwarded import client_address

PROXY = [ipaddress.ip_network("172.29.80.2/32")]
CHAIN = [ipaddress.ip_network("172.29.80.2/32"), ipaddress.ip_network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("172.29.80.2", "198.51.100.7", PROXY, "198.51.100.7"),  # the proxy names the client
        ("203.0.113.5", "198.51.100.7", PROXY, "203.0.113.5"),  # anyone else's header is ignored
        ("172.29.80.2", None, PROXY, "172.29.80.2"),
        ("172.29.80.2", "198.51.100.7", [], "172.29.80.2"),  # nothing trusted: the peer
        ("172.29.80.2", "1.2.3.4, 198.51.100.7", PROXY, "198.51.100.7"),  # the client cannot add itself
        ("172.29.80.2", "198.51.100.7, 10.1.2.3", CHAIN, "198.51.100.7"),  # past every trusted hop
        ("172.29.80.2", "10.1.2.3", CHAIN, "10.1.2.3"),  # all trusted: the farthest one
        ("172.29.80.2", "not-an-ip, 198.51.100.7", PROXY, "198.51.100.7"),
        ("172.29.80.2", "198.51.100.7, garbage", PROXY, "172.29.80.2"),  # malformed: the proxy
        ("172.29.80.2", "2001:db8::1", PROXY, "2001:db8::1"),
        (None, "198.51.100.7", PROXY, None),
    ],
)
def test_client_address(peer: Any, header: Any, trusted: Any, expected: Any) -> None:
    assert client_address(peer, header, trusted) == expected
