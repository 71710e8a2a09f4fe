"""The registry's ``notify`` block: what it accepts, what it refuses, and that it never echoes a secret."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.notify.config import NgoNotify, NotifyConfig, check_address

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=0c23d6a3b1f7e2c4"
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


def config(**values: Any) -> NotifyConfig:
    return NotifyConfig.model_validate(values)


def test_every_channel_with_language_and_zone() -> None:
    notify = config(
        wecom=WECOM,
        dingtalk={"url": DINGTALK, "secret": SECRET, "keyword": "工人反馈"},
        email=["SPT@Factory.Example.CN", "chair@factory.example.cn"],
        language="en",
        timezone="Europe/London",
    )
    assert notify.channels() == ("wecom", "dingtalk", "email")
    assert notify.wecom is not None and notify.wecom.get_secret_value() == WECOM
    assert notify.email == ["SPT@factory.example.cn", "chair@factory.example.cn"]
    assert notify.language == "en" and notify.timezone == "Europe/London"


def test_one_channel_is_enough_and_none_is_refused() -> None:
    assert config(email=["spt@factory.example.cn"]).channels() == ("email",)
    assert config(dingtalk={"url": DINGTALK}).channels() == ("dingtalk",)
    with pytest.raises(ValidationError, match="no channel"):
        config(language="zh")
    with pytest.raises(ValidationError, match="no channel"):
        config(email=[])


def test_secrets_never_appear_in_repr_or_errors() -> None:
    notify = config(wecom=WECOM, dingtalk={"url": DINGTALK, "secret": SECRET})
    shown = repr(notify) + str(notify.model_dump())
    for secret in ("693a91f6", "0c23d6a3", SECRET):
        assert secret not in shown
    with pytest.raises(ValidationError) as caught:
        config(wecom="http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=leaky-key-123")
    assert "leaky-key-123" not in str(caught.value.errors(include_input=False))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https"),
        ("ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https"),
        ("https:///cgi-bin/webhook/send?key=k", "https"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "key"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", "key"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a&key=b", "key"),
        ("https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "user"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k#x", "fragment"),
        ("https://qyapi.weixin.qq.com:99999/send?key=k", "not a URL"),
        ("http://10.0.0.8/cgi-bin/webhook/send?key=k", "https"),
    ],
)
def test_wecom_url_rules(url: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        config(wecom=url)


def test_plain_http_only_on_loopback() -> None:
    for host in ("127.0.0.1:8080", "127.3.4.5", "localhost:9", "[::1]:8080"):
        assert config(wecom=f"http://{host}/cgi-bin/webhook/send?key=k").wecom is not None
    with pytest.raises(ValidationError, match="https"):
        config(dingtalk={"url": "http://oapi.dingtalk.com/robot/send?access_token=t"})


def test_dingtalk_needs_its_token_and_a_sane_keyword_and_secret() -> None:
    with pytest.raises(ValidationError, match="access_token"):
        config(dingtalk={"url": "https://oapi.dingtalk.com/robot/send?key=t"})
    with pytest.raises(ValidationError, match="printable"):
        config(dingtalk={"url": DINGTALK, "keyword": "two\nlines"})
    with pytest.raises(ValidationError, match="empty"):
        config(dingtalk={"url": DINGTALK, "secret": "  "})
    with pytest.raises(ValidationError):
        config(dingtalk={"url": DINGTALK, "signing": SECRET})


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "a b@factory.example.cn",
        "Name <spt@factory.example.cn>",
        "spt@factory.example.cn\r\nBcc: someone@elsewhere.example",
        "spt@localhost",
        "spt@-bad-.example.cn",
        "spt@factory..example.cn",
        "用户@factory.example.cn",
        "",
        "\t",
        "-@[-@",
        ".spt@factory.example.cn",
        '"quoted"@factory.example.cn',
        "spt@factory.example.cn@other.example",
    ],
)
def test_addresses_are_bare_and_valid(address: str) -> None:
    with pytest.raises(ValidationError):
        config(email=[address])


def test_address_domains_are_normalised() -> None:
    assert check_address("Chair@工厂.例子.cn") == "Chair@xn--fmrp5v.xn--fsqu00a.cn"
    assert check_address("  spt@Factory.Example.CN ") == "spt@factory.example.cn"


def test_address_list_is_bounded_and_deduplicated() -> None:
    assert config(email=["a@x.example", "A@X.example", "b@x.example"]).email == ["a@x.example", "b@x.example"]
    with pytest.raises(ValidationError):
        config(email=[f"m{i}@x.example" for i in range(21)])


def test_language_and_zone_are_checked() -> None:
    with pytest.raises(ValidationError):
        config(email=["a@x.example"], language="fr")
    with pytest.raises(ValidationError, match="IANA"):
        config(email=["a@x.example"], timezone="Mars/Olympus")


def test_ngo_entry() -> None:
    ngo = NgoNotify.model_validate(
        {
            "id": "cntac-monitor",
            "name": "Monitor",
            "factories": ["GZ-001"],
            "notify": {"email": ["ngo@x.example"]},
        }
    )
    assert ngo.notify.channels() == ("email",)
    with pytest.raises(ValidationError):
        NgoNotify.model_validate({"id": "x", "name": "X", "notify": {}})
    with pytest.raises(ValidationError):
        NgoNotify.model_validate({"id": "$where", "name": "X", "notify": {"email": ["ngo@x.example"]}})


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_any_string_is_an_address_or_a_value_error(value: str) -> None:
    """The stdlib header parser raises IndexError and AttributeError on some inputs; ours never does."""
    try:
        address = check_address(value)
    except ValueError:
        return
    assert not any(ch.isspace() or ch in '<>"(),;:[]\\' for ch in address)


def test_the_stored_document_reads_back_the_same() -> None:
    full = config(
        wecom=WECOM,
        dingtalk={"url": DINGTALK, "secret": SECRET, "keyword": "工人反馈"},
        email=["spt@factory.example.cn"],
        timezone="Asia/Shanghai",
    )
    document = full.stored()
    assert document["wecom"] == WECOM and document["dingtalk"]["secret"] == SECRET
    assert "language" not in document
    assert NotifyConfig.model_validate(document).stored() == document
    minimal = config(dingtalk={"url": DINGTALK})
    assert minimal.stored() == {"dingtalk": {"url": DINGTALK}, "email": []}
    assert NotifyConfig.model_validate(minimal.stored()) == minimal
