"""The redacting processor keeps personal data and secrets out of every log line."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
import structlog
from aiormq.abc import ChannelFrame, DeliveredMessage
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from shared.liblogs import withheld
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
def test_phone_numbers_in_any_format_are_scrubbed(value: str) -> None:
    assert not any(ch.isdigit() for ch in scrub(f"from {value} today").replace("today", ""))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # separators between groups: slashes, underscores, dots, a mix
        ("sms from 138/0013/8000", "sms from [redacted]"),
        ("sms from 138_0013_8000", "sms from [redacted]"),
        ("sms from +86/138/0013/8000", "sms from [redacted]"),
        ("sms from 138.0013.8000", "sms from [redacted]"),
        ("sms from +86 (138) 0013_8000", "sms from [redacted]"),
        # one digit at a time
        ("sms from 1 3 9 1 2 3 4 5 6 7 8", "sms from [redacted]"),
        ("sms from 1-3-9-1-2-3-4-5-6-7-8", "sms from [redacted]"),
        ("sms from 1 39 1234 56 78", "sms from [redacted]"),
        # Unicode spaces, dashes and joiners between groups or digits
        ("sms from 138\u00a00013\u00a08000", "sms from [redacted]"),
        ("sms from 138\u202f0013\u202f8000", "sms from [redacted]"),
        ("sms from 138\u20090013\u20098000", "sms from [redacted]"),
        ("sms from +86\u2007138\u20070013\u20078000", "sms from [redacted]"),
        ("sms from 138\u200b0013\u200b8000 ok", "sms from [redacted] ok"),
        ("sms from 138\u20130013\u20138000", "sms from [redacted]"),
        ("sms from 138\u22120013\u22128000", "sms from [redacted]"),
        (
            "sms from 1\u00a03\u00a08\u00a00\u00a00\u00a01\u00a03\u00a08\u00a00\u00a00\u00a00",
            "sms from [redacted]",
        ),
        ("café: 138\u00a0\u00a00013 8000", "café: [redacted]"),
        # the ideographic space is a CJK character: the whole string goes
        ("sms from 1\u30003\u30008\u30000\u30000\u30001\u30003\u30008\u30000\u30000\u30000", "[redacted]"),
        # digits of other scripts
        (
            "sms from \u0661\u0663\u0668\u0660\u0660\u0661\u0663\u0668\u0660\u0660\u0660",
            "sms from [redacted]",
        ),
        # glued to letters, underscores or hyphens
        ("user id13800138000 wrote", "user id[redacted] wrote"),
        ("key=tel13912345678x", "key=tel[redacted]x"),
        ("req-13912345678", "req-[redacted]"),
        ("user_8613912345678_session", "user_[redacted]_session"),
        ("worker a13800138000b", "worker a[redacted]b"),
        # WeChat ids and OpenIDs, named or alone
        ("from wxid_abc123def456 at 10:00", "from [redacted] at 10:00"),
        ("from WXID_9f8e7d6c5b at 10:00", "from [redacted] at 10:00"),
        ("openid=o6_bmjrPTlm6_2sgVt7hMZOPfL2M&x=1", "openid=[redacted]&x=1"),
        ('{"open_id": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}', '{"open_id": "[redacted]"}'),
        ("UnionID: oAbCdEfGhIjKlMnOpQrStUvWxY12", "UnionID: [redacted]"),
        ("reply to o6_bmjrPTlm6_2sgVt7hMZOPfL2M failed", "reply to [redacted] failed"),
        # about one OpenID in a hundred has no digit
        ("reply to oBcdEfGhIjKl-MnOpQrStUvWxYzA failed", "reply to [redacted] failed"),
        # a phone number beside what stays
        ("at 2026-11-25 08:00:00 from 13912345678", "at 2026-11-25 08:00:00 from [redacted]"),
        ("+8613912345678 998c00de961644de8e314d24c88d6b8b", "[redacted] 998c00de961644de8e314d24c88d6b8b"),
    ],
)
def test_phone_numbers_and_wechat_ids_in_every_form_are_redacted(value: Any, expected: Any) -> None:
    assert scrub(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-25",
        "2026/11/25",
        "2026-11-25 08:00:00",
        "2026-11-25T08:00:00.123456Z",
        "2026-11-25T08:00:00+08:00",
        "00:21:26",
        "took 1234 ms",
        "took 12.345 ms",
        "1,234,567 events",
        "page 3 of 10",
        "v1.2.3",
        "127.0.0.1:8080",
        "case 6f1d3c52-7a0e-4f55-9c61-0b7e1f3e8a24",
        "case 6f1d3c52-7a0e-4f55-9c61-123456789012",
        "event 3f2a1b12345678901234abcdef012345",
        "object 65f1a2b3c4d5e6f708192a3b",
        "request_id=kfmhbnpcapod-3e",
        "request_id=abc-123",
        "/api/v1/cases/ABCDE-FGHJK/acknowledge",
        "outbound_undeliverable_reason_with_a_long_name",
        "case_id=gz-001-spt",
        "outbound_channel_unconfigured",
        "state=outbound_message_was_claimed",
        # beside text that is not ASCII, what stays stays
        "café opened at 2026-11-25\u00a008:00:00",
        "took 12\u00a0345 ms",
        "v1.2.3\u2009— page 3 of 10",
    ],
)
def test_dates_times_counts_and_ids_survive(value: str) -> None:
    assert scrub(value) == value


def test_tokens_bearer_headers_and_chinese_text_are_scrubbed() -> None:
    assert "gvt_" not in scrub("token gvt_AbC-123_xyz used")
    assert "secret123" not in scrub("Authorization: Bearer secret123")
    assert scrub(TEXT) == REDACTED


def test_pydantic_input_values_are_scrubbed() -> None:
    message = "1 validation error\ntext\n  String too long [type=string_too_long, input_value='my boss hits me', input_type=str]"
    assert "my boss hits me" not in scrub(message)


def test_sensitive_keys_are_dropped_whatever_their_value() -> None:
    event = redact(
        None, "info", {"event": "x", "text": "plain words", "to": "abc", "nested": {"body": "b", "n": 1}}
    )
    assert event["text"] == REDACTED and event["to"] == REDACTED
    assert event["nested"] == {"body": REDACTED, "n": 1}


def test_keys_of_nested_data_are_scrubbed_like_values() -> None:
    event = redact(None, "info", {"event": "x", "fields": {WORKER_PHONE: 1, "count": 2}})
    assert event["fields"] == {REDACTED: 1, "count": 2}


def _lines_with(marker: str) -> list[str]:
    """The lines the configured pipeline wrote to this run's log file that hold ``marker``."""
    return [line for line in LOG_FILE.read_text(encoding="utf-8").splitlines() if marker in line]


def test_structlog_and_stdlib_lines_are_redacted_end_to_end() -> None:
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


def test_exceptions_are_rendered_and_redacted() -> None:
    marker = uuid.uuid4().hex
    try:
        raise ValueError(f"bad number {WORKER_PHONE}")
    except ValueError:
        structlog.get_logger("t").exception("failed", marker=marker)
    (line,) = _lines_with(marker)
    record = json.loads(line)
    assert record["level"] == "error" and "ValueError" in record["exception"]
    assert not find_leaks(line)


def test_calls_below_the_level_write_nothing() -> None:
    marker = uuid.uuid4().hex
    assert structlog.get_logger("t").debug("kept", marker=marker) is None
    assert _lines_with(marker)  # the test run logs at DEBUG
    logging.getLogger("t").log(5, "below debug %s", marker + "x")
    assert not _lines_with(marker + "x")


def test_the_leak_oracle_itself_finds_leaks() -> None:
    assert find_leaks(f'{{"event": "x", "note": "{WORKER_PHONE[3:]}"}}')
    assert find_leaks(f'{{"event": "{TEXT}"}}')
    assert not find_leaks('{"event": "x", "id": "6f1d3c52-7a0e-4f55-9c61-0b7e1f3e8a24"}')
    # A UUID whose last group happens to be all digits is an id, not a phone number.
    assert not find_leaks('{"event": "x", "case_id": "6f1d3c52-7a0e-4f55-9c61-123456789012"}')
    assert find_leaks('{"event": "x", "note": "call 13912345678"}')
    # OpenIDs, registered or only shaped like one; a long lower-case word is none.
    assert find_leaks('{"event": "x", "note": "reply to oAbCdEfGhIjKlMnOpQrStUvWxY12"}')
    assert not find_leaks('{"event": "outbound_message_was_claimed"}')


RETURNED_TEXT = sensitive("the supervisor locked the fire exit again on night shift")


def _returned_message(marker: str) -> DeliveredMessage:
    """A mandatory publish the broker returned, as aiormq builds it (body: the whole event)."""
    body = json.dumps({"type": "grievance.received", "text": RETURNED_TEXT, "marker": marker}).encode()
    return DeliveredMessage(
        delivery=Basic.Return(reply_code=312, reply_text="NO_ROUTE", exchange="grievances", routing_key="x"),
        header=ContentHeader(body_size=len(body), properties=Basic.Properties(message_id=marker)),
        body=body,
        channel=None,  # type: ignore[arg-type]
    )


def test_a_returned_message_is_logged_without_its_body() -> None:
    marker = uuid.uuid4().hex
    message = _returned_message(marker)
    # aiormq's own call for a return it cannot match to a publish (aiormq/channel.py).
    logging.getLogger("aiormq.channel").error("Unhandled message %r returning", message)
    logging.getLogger("aiormq.channel").error("message_id if None on returned message %r", message)
    lines = [
        line
        for line in LOG_FILE.read_text(encoding="utf-8").splitlines()
        if "returning" in line or "returned message" in line
    ]
    lines = [line for line in lines if "DeliveredMessage" in line][-2:]
    assert len(lines) == 2
    for line in lines:
        assert "bytes of body withheld" in line
        assert RETURNED_TEXT not in line and marker not in line


def test_frames_logged_at_debug_show_no_bytes() -> None:
    marker = uuid.uuid4().hex
    library = logging.getLogger("aiormq.connection")
    level = library.level
    library.setLevel(logging.DEBUG)  # as an operator chasing a broker problem would
    try:
        payload = json.dumps({"text": RETURNED_TEXT}).encode()
        library.debug("Sending %r to %r", ChannelFrame(payload=payload, should_close=False), marker)
    finally:
        library.setLevel(level)
    (line,) = _lines_with(marker)
    assert "ChannelFrame" in line and "withheld" in line
    assert RETURNED_TEXT not in line


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("text", "text"),
        (42, 42),
        (b"secret body", "<11 bytes withheld>"),
        (ChannelFrame(payload=b"x", should_close=True), "<ChannelFrame: bytes withheld>"),
        ({"a": 1}, {"a": 1}),
        (["b'not bytes'"], ["b'not bytes'"]),
    ],
)
def test_library_arguments_whose_repr_shows_bytes_are_withheld(value: Any, shown: Any) -> None:
    assert withheld(value) == shown
