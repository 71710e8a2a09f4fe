"""Alibaba and Tencent SMS pushes: the documented bodies parse into typed models, anything else is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.channels.aliyun_push import MalformedPush, parse_sms_reports, parse_sms_up
from services.intake.channels.tencent_push import MalformedCallback, parse_reply, parse_statuses
from tests.fakes import sensitive

PHONE = sensitive("13912345678")
TEXT = sensitive("宿舍没有热水三天了")


def body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


# The SmsUp example of help.aliyun.com/zh/sms/developer-reference/smsup-http, with a real-shaped number.
SMS_UP = {
    "phone_number": PHONE,
    "content": TEXT,
    "send_time": "2017-09-01 00:00:00",
    "dest_code": "1234",
    "sequence_id": "1234567890",
}
# The SmsReport fields of help.aliyun.com/zh/sms/developer-reference/smsreport-2.
SMS_REPORT = {
    "phone_number": PHONE,
    "send_time": "2017-01-01 11:12:13",
    "report_time": "2017-02-02 22:23:24",
    "success": True,
    "err_code": "DELIVERED",
    "err_msg": "用户接收成功",
    "sms_size": "1",
    "biz_id": "12345",
    "out_id": "67890",
}


def test_aliyun_sms_up_with_either_type_of_sequence_id() -> None:
    first, second = parse_sms_up(body([SMS_UP, {**SMS_UP, "sequence_id": 1234567891, "sign_name": "阿里云"}]))
    assert (first.phone_number, first.content, first.dest_code) == (PHONE, TEXT, "1234")
    assert first.send_time == datetime(2017, 9, 1, 0, 0)  # noqa: DTZ001 - Alibaba's time has no offset
    assert (first.sequence_id, first.sign_name) == ("1234567890", None)
    assert (second.sequence_id, second.sign_name) == ("1234567891", "阿里云")
    assert first.dedup_key == f"{PHONE}:1234567890"
    assert first.dedup_key != second.dedup_key


def test_aliyun_sms_report() -> None:
    (report,) = parse_sms_reports(body([SMS_REPORT]))
    assert report.success is True
    assert (report.biz_id, report.out_id, report.err_code, report.sms_size) == (
        "12345",
        "67890",
        "DELIVERED",
        "1",
    )
    (without_out_id,) = parse_sms_reports(body([{**SMS_REPORT, "sms_size": 2, "out_id": None}]))
    assert (without_out_id.out_id, without_out_id.sms_size) == (None, "2")


@pytest.mark.parametrize(
    "value",
    [
        {"not": "an array"},
        [],
        [SMS_UP] * 1001,
        ["a string"],
        [{k: v for k, v in SMS_UP.items() if k != "phone_number"}],
        [{**SMS_UP, "phone_number": "phone"}],
        [{**SMS_UP, "sequence_id": True}],
        [{**SMS_UP, "sequence_id": 1.5}],
        [{**SMS_UP, "sequence_id": "12ab"}],
        [{**SMS_UP, "sequence_id": -1}],
        [{**SMS_UP, "send_time": "2017-09-01T00:00:00Z"}],
        [{**SMS_UP, "content": 42}],
        [SMS_UP, {**SMS_UP, "dest_code": None}],  # one bad item refuses the whole push
    ],
)
def test_aliyun_malformed_sms_up_is_refused(value: Any) -> None:
    with pytest.raises(MalformedPush):
        parse_sms_up(body(value))


@pytest.mark.parametrize(
    "value",
    [
        [{**SMS_REPORT, "success": "true"}],
        [{**SMS_REPORT, "biz_id": ""}],
        [{k: v for k, v in SMS_REPORT.items() if k != "report_time"}],
    ],
)
def test_aliyun_malformed_report_is_refused(value: Any) -> None:
    with pytest.raises(MalformedPush):
        parse_sms_reports(body(value))


def test_aliyun_refuses_what_is_not_json() -> None:
    for raw in (b"", b"[", "[{}]".encode("utf-16"), b"[" + b" " * (1024 * 1024) + b"]"):
        with pytest.raises(MalformedPush):
            parse_sms_up(raw)


def test_refusals_never_repeat_a_value() -> None:
    with pytest.raises(MalformedPush) as refused:
        parse_sms_up(body([{**SMS_UP, "phone_number": "x" + PHONE}]))
    assert "phone_number" in str(refused.value)
    assert PHONE not in str(refused.value)


# The request examples of cloud.tencent.com/document/api/382/59179 (reply) and 382/59178 (status).
REPLY = {
    "extend": "",
    "mobile": PHONE,
    "nationcode": "86",
    "sign": "短信签名",
    "text": TEXT,
    "time": 1457336869,
}
STATUS = {
    "user_receive_time": "2015-10-17 08:03:04",
    "nationcode": "86",
    "mobile": PHONE,
    "report_status": "SUCCESS",
    "errmsg": "DELIVRD",
    "description": "用户短信送达成功",
    "sid": "xxxxxxx",
}


def test_tencent_reply() -> None:
    reply = parse_reply(body(REPLY))
    assert (reply.e164, reply.text, reply.sign) == (f"+86{PHONE}", TEXT, "短信签名")
    assert reply.received_at == datetime(2016, 3, 7, 7, 47, 49, tzinfo=UTC)
    assert parse_reply(body({k: v for k, v in REPLY.items() if k != "extend"})).extend == ""
    same = parse_reply(body(REPLY))
    other_text = parse_reply(body({**REPLY, "text": "另一条"}))
    assert reply.dedup_key == same.dedup_key != other_text.dedup_key
    assert TEXT not in reply.dedup_key


def test_tencent_statuses() -> None:
    first, second = parse_statuses(body([STATUS, {**STATUS, "report_status": "FAIL", "ext": "outbound-1"}]))
    assert (first.report_status, first.sid, first.ext) == ("SUCCESS", "xxxxxxx", None)
    assert (second.report_status, second.ext) == ("FAIL", "outbound-1")


@pytest.mark.parametrize(
    "value",
    [
        [REPLY],
        {**REPLY, "time": "1457336869"},
        {**REPLY, "time": 1457336869000},
        {**REPLY, "mobile": "+86" + PHONE},
        {k: v for k, v in REPLY.items() if k != "text"},
    ],
)
def test_tencent_malformed_reply_is_refused(value: Any) -> None:
    with pytest.raises(MalformedCallback):
        parse_reply(body(value))


@pytest.mark.parametrize(
    "value",
    [STATUS, [], [STATUS] * 101, [{**STATUS, "report_status": "success"}], [{**STATUS, "sid": ""}]],
)
def test_tencent_malformed_statuses_are_refused(value: Any) -> None:
    with pytest.raises(MalformedCallback):
        parse_statuses(body(value))
