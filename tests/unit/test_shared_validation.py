"""Validation errors in plain words: the field, what is expected, an example; never a regex or a value."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.validation import language_of, plain_errors, summary
from tests.fakes import sensitive


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factory_code: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
        description="the code on the factory's notice board",
        examples=["GZ-001"],
    )
    text: str = Field(min_length=1, max_length=20)
    language: Literal["zh", "en"] | None = None
    page: int = Field(default=1, ge=1, le=100)


def errors_of(raw: dict[str, object], language: Literal["zh", "en"] = "en") -> list[dict[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate(raw)
    return plain_errors(caught.value, Form, language)


PHRASES_OF_PYDANTIC = ("should match pattern", "Extra inputs", "Input should", "String should", "^[")


def test_a_code_with_a_space_is_explained_with_an_example() -> None:
    (error,) = errors_of({"factory_code": "GZ 001", "text": "x"})
    assert error == {
        "field": "factory_code",
        "message": "factory_code is not written as expected (the code on the factory's notice board, "
        "for example GZ-001).",
    }


def test_the_same_in_chinese() -> None:
    (error,) = errors_of({"factory_code": "GZ 001", "text": "x"}, "zh")
    assert error["message"].startswith("factory_code 的格式不对") and "例如 GZ-001" in error["message"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"text": "x"}, "factory_code is required"),
        ({"factory_code": "A", "text": ""}, "text must not be empty"),
        ({"factory_code": "A", "text": "x" * 21}, "text must be at most 20 characters"),
        ({"factory_code": "A", "text": "x", "language": "fr"}, "language must be zh or en"),
        ({"factory_code": "A", "text": "x", "page": 0}, "page must be at least 1"),
        ({"factory_code": "A", "text": "x", "page": "two"}, "page must be a whole number"),
        ({"factory_code": "A", "text": "x", "colour": "red"}, "colour is not a field of this request"),
    ],
)
def test_every_kind_of_error_reads_as_a_sentence(raw: dict[str, object], expected: str) -> None:
    messages = [e["message"] for e in errors_of(raw)]
    assert any(m.startswith(expected) for m in messages), messages
    assert not any(phrase in m for m in messages for phrase in PHRASES_OF_PYDANTIC)


def test_an_unknown_field_lists_the_known_ones() -> None:
    (error,) = errors_of({"factory_code": "A", "text": "x", "colour": "red"})
    assert error["message"].endswith("the fields are: factory_code, text, language, page.")


def test_values_are_never_repeated() -> None:
    secret = sensitive("13912345678 wants to stay unknown")
    messages = summary(errors_of({"factory_code": secret, "text": secret * 3}))
    assert "13912345678" not in messages


@pytest.mark.parametrize(
    ("header", "chosen", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh"),
        ("en-GB,en;q=0.9", None, "en"),
        ("fr-FR,zh-TW;q=0.5", None, "zh"),
        (None, None, "en"),
        ("zh-CN", "en", "en"),
        ("en", "zh", "zh"),
        ("zh", "xx", "zh"),
    ],
)
def test_the_workers_language(header: str | None, chosen: str | None, expected: str) -> None:
    assert language_of(header, chosen) == expected


@pytest.mark.parametrize(
    ("text", "english", "chinese"),
    [
        ("a\x00b", "text: must not contain NUL characters", "text 不能包含空字符（NUL）"),
        (
            "a\ud800",
            "text must be valid Unicode text",
            "text 应为有效的 Unicode 文字",
        ),  # pydantic sees it first
    ],
)
def test_the_web_forms_own_refusals_have_chinese_words(text: str, english: str, chinese: str) -> None:
    from services.intake.webform import GrievanceForm
    from shared.bodies import validate
    from shared.web import Problem

    for language, expected in (("en", english), ("zh", chinese)):
        with pytest.raises(Problem) as caught:
            validate(GrievanceForm, {"factory_code": "GZ-001", "text": text}, language)  # type: ignore[arg-type]
        assert caught.value.detail is not None and caught.value.detail.startswith(expected)
        assert "Value error" not in caught.value.detail


def test_example_bodies_show_the_required_fields_with_their_examples() -> None:
    from shared.validation import example_body

    assert example_body(Form) == '{"factory_code": "GZ-001", "text": "…"}'
    assert example_body(None) == "{}"


def test_a_chinese_sentence_keeps_a_space_before_latin_words() -> None:
    from shared.validation import field_error

    assert field_error("bool_type", "anonymous", None, "zh")["message"] == "anonymous 应为 true 或 false。"
    assert field_error("int_type", "page", None, "zh")["message"] == "page 应为整数。"
