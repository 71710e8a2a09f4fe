"""The redacting processor keeps personal data and secrets out of every log line."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
import structlog

from shared.log import REDACTED, redact, scrub
from tests.conftest import LOG_FILE
from tests.fakes import WORKER_PHONE, find_leaks, sensitive

TEXT = sensitive("车间安全出口被锁了，我们很害怕")


@pytest.mark.parametrize(
    "value",
    [
        "+8613912345678",
        "13912345678",
        "139 1234 5678",
        "+86 139-1234-5678",
        "(139) 1234-5678",
        "+44 7700 900123",
    ],
)
def test_phone_numbers_in_any_format_are_scrubbed(value):
    assert not any(ch.isdigit() for ch in scrub(f"from {value} today").replace("today", ""))


@pytest.mark.parametrize(
    "value", ["2026-11-25", "00:21:26", "took 1234 ms", "case 6f1d3c52-7a0e-4f55-9c61-0b7e1f3e8a24"]
)
def test_dates_times_counts_and_ids_survive(value):
    assert scrub(value) == value


def test_tokens_bearer_headers_and_chinese_text_are_scrubbed():
    assert "gvt_" not in scrub("token gvt_AbC-123_xyz used")
    assert "secret123" not in scrub("Authorization: Bearer secret123")
    assert scrub(TEXT) == REDACTED


def test_pydantic_input_values_are_scrubbed():
    message = "1 validation error\ntext\n  String too long [type=string_too_long, input_value='my boss hits me', input_type=str]"
    assert "my boss hits me" not in scrub(message)


def test_sensitive_keys_are_dropped_whatever_their_value():
    event = redact(
        None, "info", {"event": "x", "text": "plain words", "to": "abc", "nested": {"body": "b", "n": 1}}
    )
    assert event["text"] == REDACTED and event["to"] == REDACTED
    assert event["nested"] == {"body": REDACTED, "n": 1}


def test_keys_of_nested_data_are_scrubbed_like_values():
    event = redact(None, "info", {"event": "x", "fields": {WORKER_PHONE: 1, "count": 2}})
    assert event["fields"] == {REDACTED: 1, "count": 2}


def _lines_with(marker: str) -> list[str]:
    """The lines the configured pipeline wrote to this run's log file that hold ``marker``."""
    return [line for line in LOG_FILE.read_text(encoding="utf-8").splitlines() if marker in line]


def test_structlog_and_stdlib_lines_are_redacted_end_to_end():
    marker = uuid.uuid4().hex
    structlog.get_logger("t").info(
        "received", marker=marker, phone=WORKER_PHONE, note=f"sms from {WORKER_PHONE}: {TEXT}"
    )
    logging.getLogger("aiohttp.access").info("POST /webhooks?From=%s %s", WORKER_PHONE, marker)
    lines = _lines_with(marker)
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert {record["logger"] for record in records} == {"t", "aiohttp.access"}
    assert all(record["level"] == "info" and record["timestamp"] for record in records)
    assert not find_leaks("\n".join(lines))


def test_exceptions_are_rendered_and_redacted():
    marker = uuid.uuid4().hex
    try:
        raise ValueError(f"bad number {WORKER_PHONE}")
    except ValueError:
        structlog.get_logger("t").exception("failed", marker=marker)
    (line,) = _lines_with(marker)
    record = json.loads(line)
    assert record["level"] == "error" and "ValueError" in record["exception"]
    assert not find_leaks(line)


def test_calls_below_the_level_write_nothing():
    marker = uuid.uuid4().hex
    assert structlog.get_logger("t").debug("kept", marker=marker) is None
    assert _lines_with(marker)  # the test run logs at DEBUG
    logging.getLogger("t").log(5, "below debug %s", marker + "x")
    assert not _lines_with(marker + "x")


def test_the_leak_oracle_itself_finds_leaks():
    assert find_leaks(f'{{"event": "x", "note": "{WORKER_PHONE[3:]}"}}')
    assert find_leaks(f'{{"event": "{TEXT}"}}')
    assert not find_leaks('{"event": "x", "id": "6f1d3c52-7a0e-4f55-9c61-0b7e1f3e8a24"}')
    # A UUID whose last group happens to be all digits is an id, not a phone number.
    assert not find_leaks('{"event": "x", "case_id": "6f1d3c52-7a0e-4f55-9c61-123456789012"}')
    assert find_leaks('{"event": "x", "note": "call 13912345678"}')
