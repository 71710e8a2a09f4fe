"""The broker URL the bus connects with (no broker needed)."""

from __future__ import annotations

from shared.amqp import connection_url


def test_the_heartbeat_is_in_the_url_where_aiormq_reads_it() -> None:
    assert connection_url("amqp://guest:guest@broker:5672/").query["heartbeat"] == "15"
    assert connection_url("amqp://u:p@broker/vhost?name=x").query == {"name": "x", "heartbeat": "15"}
    assert (
        connection_url("amqp://broker/?heartbeat=5").query["heartbeat"] == "5"
    )  # an operator's choice stays
