"""The pure halves of the send clients: request builders and what each provider answer means."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from multidict import CIMultiDict

from services.intake.channels import aliyun_sms, tencent_sms, wechat_api
from services.intake.channels.aliyun_sign import verify_acs3
from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from services.intake.channels.provider_http import AmbiguousDeliveryError
from services.intake.channels.tencent_sign import verify_tc3
from services.intake.channels.wechat_token import stable_token_request
from tests.fakes import sensitive

OPENID = sensitive("oyORnuP8q7ou2gfYjqLzSIWZf0rs")
PHONE = sensitive("+8613912345678")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


# --- WeChat ----------------------------------------------------------------------------------------


def test_wechat_request_bodies() -> None:
    token = stable_token_request("https://api.weixin.qq.com/", "wxappid", "s3cret", force_refresh=False)
    assert token.url == "https://api.weixin.qq.com/cgi-bin/stable_token"
    assert json.loads(token.body) == {
        "grant_type": "client_credential",
        "appid": "wxappid",
        "secret": "s3cret",
        "force_refresh": False,
    }
    text = wechat_api.custom_text_request("https://api.weixin.qq.com", "TOKEN", OPENID, "已收到")
    assert text.url == "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=TOKEN"
    assert json.loads(text.body) == {"touser": OPENID, "msgtype": "text", "text": {"content": "已收到"}}
    assert "已收到".encode() in text.body  # not \u-escaped
    template = wechat_api.template_request(
        "https://x",
        "T",
        OPENID,
        "TPL",
        {"thing1": "有新进展"},
        url="https://r.example/r",
        client_msg_id="m-1",
    )
    assert json.loads(template.body) == {
        "touser": OPENID,
        "template_id": "TPL",
        "data": {"thing1": {"value": "有新进展"}},
        "url": "https://r.example/r",
        "client_msg_id": "m-1",
    }
    notice = wechat_api.subscribe_request(
        "https://x", "T", OPENID, "TPL", scene=12, title="案件进展", content="有新消息", url="https://r/"
    )
    assert notice.url == "https://x/cgi-bin/message/template/subscribe?access_token=T"
    assert json.loads(notice.body) == {
        "touser": OPENID,
        "template_id": "TPL",
        "scene": "12",
        "title": "案件进展",
        "data": {"content": {"value": "有新消息"}},
        "url": "https://r/",
    }


@pytest.mark.parametrize(
    ("errcode", "error"),
    [
        (45015, wechat_api.CustomerServiceWindowClosed),
        (45047, wechat_api.CustomerServiceWindowClosed),
        (43004, PermanentDeliveryError),
        (43101, PermanentDeliveryError),
        (40003, PermanentDeliveryError),
        (47003, PermanentDeliveryError),
        (40001, wechat_api.AccessTokenRejected),
        (42001, wechat_api.AccessTokenRejected),
        (-1, AmbiguousDeliveryError),
        (45009, TransientDeliveryError),
        (40037, TransientDeliveryError),
        (40164, TransientDeliveryError),
        (99999, TransientDeliveryError),
    ],
)
def test_wechat_errcodes(errcode: int, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        wechat_api.raise_for_errcode(errcode)
    assert type(raised.value) is error
    assert str(errcode) in str(raised.value)


def test_wechat_answers_without_a_readable_errcode() -> None:
    assert wechat_api.errcode_of(200, {"errcode": 0, "errmsg": "ok"}) == 0
    with pytest.raises(AmbiguousDeliveryError):
        wechat_api.errcode_of(200, {})
    with pytest.raises(AmbiguousDeliveryError):
        wechat_api.errcode_of(200, {"errcode": "0"})
    with pytest.raises(TransientDeliveryError) as raised:
        wechat_api.errcode_of(404, {})
    assert not isinstance(raised.value, AmbiguousDeliveryError)


# --- Aliyun ----------------------------------------------------------------------------------------


def aliyun_request(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "access_key_id": "LTAIexample",
        "access_key_secret": "secret",
        "phone_numbers": PHONE,
        "sign_name": "工会服务",
        "template_code": "SMS_15305000",
        "template_param": {"code": "K7M3P"},
        "out_id": "outbound-1",
        "now": NOW,
        "nonce": "n-1",
    }
    values.update(overrides)
    return aliyun_sms.send_sms_request(**values)


def test_aliyun_send_request_is_a_signed_query() -> None:
    request = aliyun_request()
    parts = urlsplit(request.url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    assert (request.method, parts.netloc, parts.path, request.body) == (
        "POST",
        "dysmsapi.aliyuncs.com",
        "/",
        b"",
    )
    assert dict(query) == {
        "PhoneNumbers": PHONE,
        "SignName": "工会服务",
        "TemplateCode": "SMS_15305000",
        "TemplateParam": '{"code":"K7M3P"}',
        "OutId": "outbound-1",
    }
    assert "+" not in parts.query and "%2B86" in parts.query  # the plus of E.164 is encoded, not a space
    assert (request.headers["x-acs-action"], request.headers["x-acs-version"]) == ("SendSms", "2017-05-25")
    assert request.headers["x-acs-date"] == "2026-03-02T08:00:00Z"
    assert (
        verify_acs3(
            method="POST",
            path="/",
            query=query,
            headers=CIMultiDict(request.headers),
            body=b"",
            secret_for={"LTAIexample": "secret"}.get,
        )
        == "LTAIexample"
    )


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}, PermanentDeliveryError),
        (200, {"Code": "isv.PARAM_NOT_SUPPORT_URL"}, PermanentDeliveryError),
        (
            200,
            {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发天级流控Permits:10"},
            TransientDeliveryError,
        ),
        (200, {"Code": "isv.AMOUNT_NOT_ENOUGH"}, TransientDeliveryError),
        (200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL"}, TransientDeliveryError),
        (400, {"Code": "SignatureDoesNotMatch"}, TransientDeliveryError),
        (404, {"Code": "InvalidAccessKeyId.NotFound"}, TransientDeliveryError),
        (200, {"Code": "isv.SOMETHING_NEW"}, TransientDeliveryError),
        (200, {"Code": "OK", "BizId": ""}, AmbiguousDeliveryError),
        (200, {}, AmbiguousDeliveryError),
        (403, {}, TransientDeliveryError),
    ],
)
def test_aliyun_answers(status: int, payload: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        aliyun_sms.biz_id_or_raise(status, payload)
    assert type(raised.value) is error


def test_aliyun_accepted_message() -> None:
    answer = {"Code": "OK", "Message": "OK", "BizId": "9006197469364984400", "RequestId": "F655A8D5"}
    assert aliyun_sms.biz_id_or_raise(200, answer) == "9006197469364984400"


# --- Tencent ---------------------------------------------------------------------------------------


def test_tencent_send_request_body_and_signature() -> None:
    request = tencent_sms.send_sms_request(
        secret_id="AKIDexample",
        secret_key="secret",
        region="ap-guangzhou",
        sdk_app_id="1400006666",
        sign_name="工会服务",
        template_id="1110",
        phone_numbers=[PHONE],
        template_params=["K7M3P"],
        session_context="outbound-1",
        timestamp=int(NOW.timestamp()),
    )
    assert (request.method, request.url) == ("POST", "https://sms.tencentcloudapi.com/")
    assert json.loads(request.body) == {
        "PhoneNumberSet": [PHONE],
        "SmsSdkAppId": "1400006666",
        "SignName": "工会服务",
        "TemplateId": "1110",
        "TemplateParamSet": ["K7M3P"],
        "SessionContext": "outbound-1",
    }
    headers = CIMultiDict(request.headers)
    assert (headers["X-TC-Action"], headers["X-TC-Version"], headers["X-TC-Region"]) == (
        "SendSms",
        "2021-01-11",
        "ap-guangzhou",
    )
    assert "/2026-03-02/sms/tc3_request" in headers["Authorization"]
    assert (
        verify_tc3(
            method="POST",
            query="",
            headers=headers,
            body=request.body,
            service="sms",
            now=int(NOW.timestamp()),
            secret_for={"AKIDexample": "secret"}.get,
        )
        == "AKIDexample"
    )


def status_set(code: str, serial: str = "2640:262727967816586500757778766") -> dict[str, Any]:
    """The shape of real SendSms answers (Code "Ok", SerialNo "2640:..."), as users publish them."""
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": serial if code == "Ok" else "",
                    "PhoneNumber": PHONE,
                    "Fee": 1 if code == "Ok" else 0,
                    "SessionContext": "",
                    "Code": code,
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "5528d8e4-31c3-41e3-9e6b-ef8006f365cd",
        }
    }


def request_error(code: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": "m"}, "RequestId": "r"}}


def test_tencent_accepted_message() -> None:
    assert tencent_sms.serial_no_or_raise(200, status_set("Ok")) == "2640:262727967816586500757778766"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (status_set("FailedOperation.PhoneNumberInBlacklist"), PermanentDeliveryError),
        (status_set("InvalidParameterValue.IncorrectPhoneNumber"), PermanentDeliveryError),
        (status_set("InvalidParameterValue.ProhibitedUseUrlInTemplateParameter"), PermanentDeliveryError),
        (status_set("FailedOperation.ContainSensitiveWord"), PermanentDeliveryError),
        (
            status_set("UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"),
            PermanentDeliveryError,
        ),
        (status_set("LimitExceeded.PhoneNumberThirtySecondLimit"), TransientDeliveryError),
        (status_set("LimitExceeded.PhoneNumberDailyLimit"), TransientDeliveryError),
        (status_set("FailedOperation.InsufficientBalanceInSmsPackage"), TransientDeliveryError),
        (status_set("FailedOperation.TemplateIncorrectOrUnapproved"), TransientDeliveryError),
        (status_set("InternalError.Timeout"), AmbiguousDeliveryError),
        (request_error("AuthFailure.SignatureFailure"), TransientDeliveryError),
        (request_error("AuthFailure.SignatureExpire"), TransientDeliveryError),
        (request_error("RequestLimitExceeded"), TransientDeliveryError),
        (request_error("InvalidParameterValue.SdkAppIdNotExist"), TransientDeliveryError),
        (request_error("MissingParameter"), PermanentDeliveryError),
        (request_error("Ok"), TransientDeliveryError),
        ({"Response": {"SendStatusSet": [], "RequestId": "r"}}, AmbiguousDeliveryError),
        ({"Response": {"SendStatusSet": [{"Code": "Ok"}], "RequestId": "r"}}, AmbiguousDeliveryError),
        ({}, TransientDeliveryError),
    ],
)
def test_tencent_answers(payload: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        tencent_sms.serial_no_or_raise(200, payload)
    assert type(raised.value) is error
