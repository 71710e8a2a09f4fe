"""The pure rules of Chinese SMS: templates per purpose, the provider per gateway number, case codes
in a worker's reply."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.channels.aliyun_sms import AliyunSms
from services.intake.cn_sms_outbound import AliyunChannel, SmsRoutes, default_provider
from services.intake.cn_sms_templates import DEFAULT_WORDING, KIND_OF, NoTemplate, Templates
from services.router.case import Case
from services.router.decisions import FollowUp, NewCase, Question, decide
from shared.contracts import Language, OutboundPurpose
from shared.ids import case_code, find_case_codes, find_reference
from shared.keywords import parse
from shared.settings import SMS_TEMPLATE_KINDS, Settings

URL = "https://status.example.org/case/"
IDS = {kind: f"SMS_{n}" for n, kind in enumerate(SMS_TEMPLATE_KINDS)}


def message(
    purpose: OutboundPurpose,
    *,
    reference: str | None = "K7M3P-Q9RST",
    language: str = "zh",
    code: str | None = None,
) -> object:
    from shared.contracts import MessageOutbound

    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact="sealed",
        text="委员会的原话",
        language=language,
        reference=reference,
        purpose=purpose,
        code=code,
    )


@pytest.mark.parametrize("language", ["zh", "en"])
def test_default_wordings_are_neutral_and_point_to_the_page(language: Language) -> None:
    for kind, wording in DEFAULT_WORDING[language].items():
        assert not any(word in wording for word in ("投诉", "维权", "调解", "grievance", "complaint"))
        assert "{url}" in wording or kind in ("question", "verification")
        # Only the case code (a one-time code for the verification kind) is a variable: no other
        # placeholder survives rendering.
        assert wording.replace("{code}", "").replace("{url}", "").count("{") == 0
    assert set(DEFAULT_WORDING[language]) == set(SMS_TEMPLATE_KINDS)


def test_every_purpose_has_a_kind_or_is_refused_on_purpose() -> None:
    from typing import get_args

    assert set(KIND_OF) == set(get_args(OutboundPurpose))
    assert {kind for kind in KIND_OF.values() if kind} == set(SMS_TEMPLATE_KINDS)


def test_a_message_renders_as_its_template_with_the_case_code_only() -> None:
    templates = Templates(IDS, URL, {})
    rendered = templates.render(message("committee_reply"))  # type: ignore[arg-type]
    assert rendered.kind == "update" and rendered.template_id == IDS["update"]
    assert rendered.params == {"code": "K7M3PQ"} and len(rendered.params["code"]) <= 6
    assert URL in rendered.text and "K7M3PQ" in rendered.text and "委员会的原话" not in rendered.text
    assert templates.render(message("question", reference=None)).params == {}  # type: ignore[arg-type]


def test_the_wording_is_configurable_and_decides_the_variables() -> None:
    wording = {"zh": {"ack": "已收到。请访问{url}", "update": "编号{code}：请看{url}"}}
    templates = Templates({**IDS, "ack:en": "SMS_EN"}, URL, wording)
    assert templates.render(message("ack")).params == {}  # type: ignore[arg-type]
    assert templates.render(message("ack")).text == f"已收到。请访问{URL}"  # type: ignore[arg-type]
    assert templates.render(message("ack", language="en")).template_id == "SMS_EN"  # type: ignore[arg-type]
    assert templates.render(message("status")).text == f"编号K7M3PQ：请看{URL}"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ids", "purpose", "reference", "reason"),
    [
        (IDS, "contact_confirmation", None, "no_code"),  # a code purpose without its code
        ({"ack": "SMS_1"}, "sign_in_code", "K7M3P-Q9RST", "no_sms_template"),
        ({"ack": "SMS_1"}, "committee_reply", "K7M3P-Q9RST", "no_sms_template"),
        (IDS, "status", None, "no_case_code"),
    ],
)
def test_what_no_template_can_carry_is_refused(ids: Any, purpose: Any, reference: Any, reason: Any) -> None:
    with pytest.raises(NoTemplate) as refused:
        Templates(ids, URL, {}).render(message(purpose, reference=reference))  # type: ignore[arg-type]
    assert refused.value.reason == reason


@pytest.mark.parametrize("purpose", ["sign_in_code", "contact_confirmation"])
def test_a_one_time_code_goes_by_the_verification_template_as_its_variable(purpose: OutboundPurpose) -> None:
    templates = Templates(IDS, URL, {})
    rendered = templates.render(message(purpose, code="042917"))  # type: ignore[arg-type]
    assert rendered.kind == "verification" and rendered.template_id == IDS["verification"]
    assert rendered.params == {"code": "042917"}
    assert "042917" in rendered.text and "K7M3PQ" not in rendered.text and "委员会的原话" not in rendered.text
    # The code comes from the typed field, never from the text: a text with digits is not enough.
    with pytest.raises(NoTemplate):
        templates.render(message(purpose, code=None))  # type: ignore[arg-type]
    # A wording without {code} would send the template without the code: refused.
    no_code = Templates(IDS, URL, {"zh": {"verification": "请查看网页"}})
    with pytest.raises(NoTemplate):
        no_code.render(message(purpose, code="042917"))  # type: ignore[arg-type]


def test_a_message_code_is_six_digits_or_none() -> None:
    with pytest.raises(ValidationError):
        message("sign_in_code", code="12345")
    with pytest.raises(ValidationError):
        message("sign_in_code", code="12345a")


def _channel() -> AliyunChannel:
    # Routing only picks the channel and never sends through it, so it needs no HTTP session.
    return AliyunChannel(
        AliyunSms(None, access_key_id="k", access_key_secret="s", sign_name="x"),  # type: ignore[arg-type]
        Templates({}, URL, {}),
    )


def test_the_provider_follows_the_worker_then_the_route_then_the_default() -> None:
    aliyun = _channel()
    routes = SmsRoutes(
        {"aliyun": aliyun}, {"+8610690000002": "tencent", "+8610690000003": "twilio"}, "aliyun"
    )
    assert routes.channel_for("aliyun:1234") is aliyun
    assert routes.channel_for("tencent:") is None  # wrote through Tencent, which is not configured
    assert routes.provider_for("+8610690000002") == "tencent"
    assert routes.provider_for("8610690000003") is not None  # the route, found by its E.164 form
    assert routes.channel_for("+8610690000003") == "twilio"
    assert routes.channel_for(None) is aliyun and routes.channel_for("+8610690000009") is aliyun


def test_the_default_provider() -> None:
    assert default_provider("tencent", twilio=True, chinese=("aliyun",)) == "tencent"
    assert default_provider(None, twilio=True, chinese=("aliyun",)) == "twilio"
    assert default_provider(None, twilio=False, chinese=("tencent",)) == "tencent"
    assert default_provider(None, twilio=False, chinese=("aliyun", "tencent")) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"aliyun_callback_secret": "short"},
        {"tencent_callback_secret": "has spaces in it but is long enough to pass"},
        {"aliyun_templates": {"reply": "SMS_1"}},
        {"tencent_templates": {"ack:fr": "1"}},
        {"aliyun_templates": {"ack": "SMS 1"}},
        {"sms_routes": {"+8610690000001": "wechat"}},
        {"sms_template_wording": {"zh": {"greeting": "你好"}}},
    ],
)
def test_settings_refuse_what_cannot_work(overrides: Any) -> None:
    with pytest.raises(ValidationError):
        Settings(**overrides)


def test_the_worker_page_url_defaults_to_the_status_site() -> None:
    assert (
        Settings(public_status_url="https://s.example.org/").worker_page_url == "https://s.example.org/case/"
    )
    assert (
        Settings(sms_worker_page_url="https://x.example.org/c").worker_page_url == "https://x.example.org/c"
    )


def test_case_codes_are_found_in_any_case_and_width_but_not_inside_words() -> None:
    assert find_case_codes("K7M3PQ 还是没发") == {"K7M3PQ"}
    assert find_case_codes("关于ｋ７ｍ３ｐｑ：") == {"K7M3PQ"}
    assert find_case_codes("XK7M3PQ K7M3PQ9") == frozenset()
    assert find_case_codes("K7M3P-Q9RST") == frozenset()  # a reference is found as one


AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def case(reference: str) -> Case:
    return Case(
        case_id=f"case-{reference[0].lower()}",
        grievance_id=f"case-{reference[0].lower()}",
        reference=reference,
        factory_id="GZ-001",
        committee_id="gz-001-spt",
        unassigned_reason=None,
        category="wages",
        severity="high",
        status="assigned",
        channel="sms",
        language="zh",
        text="工资没发",
        received_at=AT,
        created_at=AT,
        ack_due_at=AT,
        resolve_due_at=AT,
    )


A, B = case("AAAAA-22222"), case("BBBBB-33333")


@pytest.mark.parametrize(
    ("text", "open_cases", "expected"),
    [
        ("还是没发", [A], FollowUp(case_id="case-a")),
        ("还是没发", [A, B], Question(references=(A.reference, B.reference))),
        (f"{case_code(B.reference)} 还是没发", [A, B], FollowUp(case_id="case-b")),
        (f"{case_code(B.reference).lower()}还是没发", [A, B], FollowUp(case_id="case-b")),
        ("ZZZZZZ 还是没发", [A, B], Question(references=(A.reference, B.reference))),  # not theirs
        (f"{case_code(B.reference)} 还是没发", [], NewCase()),  # a code binds only the sender's cases
    ],
)
def test_a_case_code_picks_one_of_the_senders_open_cases(text: Any, open_cases: Any, expected: Any) -> None:
    decided = decide(
        parse(text), reference=find_reference(text), open_cases=open_cases, codes=find_case_codes(text)
    )
    assert decided == expected
