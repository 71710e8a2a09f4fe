"""Validation errors in plain words, in English or Simplified Chinese (pure).

pydantic says what its rules are (``String should match pattern '^[A-Za-z0-9]...'``, ``Extra inputs
are not permitted``); a worker who typed ``GZ 001`` needs to hear what to write instead. Each error
becomes one sentence that names the field, says what is expected and, where the model gives one (a
field's ``description`` and ``examples``), shows an example. Patterns and the rejected values are
never repeated: the first means nothing to a worker, the second may be personal data. A field
described for workers carries its Chinese description as ``json_schema_extra={"description_zh": ...}``;
a validator that refuses a value a worker sends raises :class:`Reason`, which carries its Chinese
words too (a plain ``ValueError`` is told to a Chinese reader as "not valid", never in English).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Language = Literal["zh", "en"]


class Reason(ValueError):
    """A validator's refusal in both languages: the English words, and ``zh`` for a Chinese reader.

    Both are a phrase that follows the field's name ("must not contain NUL characters").
    """

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


_TYPES = {
    "string_type": ("text", "文字"),
    "int_type": ("a whole number", "整数"),
    "int_parsing": ("a whole number", "整数"),
    "int_from_float": ("a whole number", "整数"),
    "float_type": ("a number", "数字"),
    "float_parsing": ("a number", "数字"),
    "bool_type": ("true or false", "true 或 false"),
    "bool_parsing": ("true or false", "true 或 false"),
    "list_type": ("a list", "列表"),
    "dict_type": ("an object", "对象"),
    "string_unicode": ("valid Unicode text", "有效的 Unicode 文字"),
    "model_type": ("an object", "对象"),
    "datetime_type": ("a date and time", "日期时间"),
    "datetime_parsing": ("a date and time", "日期时间"),
    "datetime_from_date_parsing": ("a date or a date and time", "日期或日期时间"),
    "date_parsing": ("a date", "日期"),
    # An instant in a query (a ``since``): a day, or a day and time with its offset.
    "date_or_datetime": (
        "a date like 2026-11-01 or 2026-11-01T08:00:00+08:00",
        "日期，例如 2026-11-01 或 2026-11-01T08:00:00+08:00",
    ),
    "time_delta_parsing": ("a duration such as 48 h, 2 days or PT48H", "时长，例如 48 h、2 days 或 PT48H"),
    "time_delta_type": ("a duration such as 48 h, 2 days or PT48H", "时长，例如 48 h、2 days 或 PT48H"),
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least {}", "不小于 {}"),
    "less_than_equal": ("le", "at most {}", "不大于 {}"),
    "greater_than": ("gt", "more than {}", "大于 {}"),
    "less_than": ("lt", "less than {}", "小于 {}"),
}


def _field(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"]) or "body"


def _plain(number: Any) -> Any:
    """``0`` rather than ``0.0``: a bound or an example as a person writes it."""
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _hint(model: type[BaseModel] | None, error: ErrorDetails, language: Language) -> str:
    """ "(the factory's code, for example GZ-001)" from the field's description and examples."""
    if model is None or not error["loc"]:
        return ""
    info = model.model_fields.get(str(error["loc"][0]))
    if info is None:
        return ""
    examples = info.examples or []
    example = f"{'例如' if language == 'zh' else 'for example'} {examples[0]}" if examples else ""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    described = str(extra.get("description_zh") or "") if language == "zh" else info.description or ""
    parts = [part for part in (described, example) if part]
    if not parts:
        return ""
    return f"（{'，'.join(parts)}）" if language == "zh" else f" ({', '.join(parts)})"


def sentence(error: ErrorDetails, model: type[BaseModel] | None = None, language: Language = "en") -> str:
    """One plain sentence for one pydantic error."""
    zh = language == "zh"
    field, kind, ctx = _field(error), error["type"], error.get("ctx") or {}
    hint = _hint(model, error, language)
    if kind == "missing":
        return f"请填写 {field}{hint}。" if zh else f"{field} is required{hint}."
    if kind == "extra_forbidden":
        known = ", ".join(model.model_fields) if model is not None else ""
        if zh:
            return f"{field} 不是此请求的字段" + (f"；可用字段：{known}。" if known else "。")
        return f"{field} is not a field of this request" + (f"; the fields are: {known}." if known else ".")
    if kind in _TYPES:
        what = _TYPES[kind][1 if zh else 0]
        if zh:
            return f"{field} 应为{' ' if what[0].isascii() else ''}{what}{hint}。"  # 应为 true 或 false
        return f"{field} must be {what}{hint}."
    if kind == "string_too_short":
        least = int(ctx.get("min_length", 1))
        if least <= 1:
            return f"{field} 不能为空{hint}。" if zh else f"{field} must not be empty{hint}."
        return f"{field} 至少 {least} 个字符。" if zh else f"{field} must be at least {least} characters."
    if kind in ("string_too_long", "too_long"):
        most = ctx.get("max_length")
        return f"{field} 最多 {most} 个字符。" if zh else f"{field} must be at most {most} characters."
    if kind == "string_pattern_mismatch":
        return f"{field} 的格式不对{hint}。" if zh else f"{field} is not written as expected{hint}."
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")  # "zh or en", "a, b or c"
        if zh:
            return f"{field} 只能是 {expected.replace(' or ', ' 或 ').replace(', ', '、')}。"
        return f"{field} must be {expected}."
    if kind in _BOUNDS:
        name, en, zh_text = _BOUNDS[kind]
        bound, example = _plain(ctx.get(name)), _plain(ctx.get("example"))
        if zh:
            return f"{field} 应{zh_text.format(bound)}" + (
                f"，例如 {example}。" if example is not None else "。"
            )
        return f"{field} must be {en.format(bound)}" + (
            f", for example {example}." if example is not None else "."
        )
    if kind == "value_error":
        cause = ctx.get("error")
        if zh:
            return f"{field} {cause.zh}{hint}。" if isinstance(cause, Reason) else f"{field} 无效{hint}。"
        reason = str(cause or error["msg"]).removeprefix("Value error, ")
        return f"{field}: {reason}{hint}"
    if kind == "duration_not_positive":
        example = ctx.get("example", "48 h")
        if zh:
            return f"{field} 应大于 0，例如 {example}。"
        return f"{field} must be longer than 0, for example {example}."
    if kind == "deadline_order":
        later, earlier = f"{field}.{ctx.get('later')}", f"{field}.{ctx.get('earlier')}"
        later_is, earlier_is = ctx.get("later_is"), ctx.get("earlier_is")
        if zh:
            return f"{later}（{later_is}）应长于 {earlier}（{earlier_is}）。"
        return f"{later} ({later_is}) must be longer than {earlier} ({earlier_is})."
    return f"{field} 无效{hint}。" if zh else f"{field} is not valid{hint}."


def field_error(
    kind: str, field: str, model: type[BaseModel] | None = None, language: Language = "en"
) -> dict[str, str]:
    """One ``{"field": ..., "message": ...}`` for an error found before pydantic saw the value (a
    string that is not text, found while parsing), in the same words pydantic's would get."""
    loc = tuple(field.split("."))
    error: ErrorDetails = {"type": kind, "loc": loc, "msg": kind, "input": None}
    return {"field": field, "message": sentence(error, model, language)}


def setting_errors(exc: ValidationError, settings: type[BaseModel], prefix: str = "GRIEVANCE_") -> list[str]:
    """Each error of the settings as a sentence that names the environment variable to fix."""
    sentences = []
    for error in exc.errors(include_input=False, include_url=False):
        variable = prefix + str(error["loc"][0]).upper() if error["loc"] else prefix.rstrip("_")
        inner = error["loc"][1:]
        if error["type"] == "extra_forbidden" and inner:
            known = _nested_fields(settings, error["loc"][:-1])
            sentences.append(
                f"{variable}: {'.'.join(map(str, inner))} is not a known key"
                + (f"; the keys are: {', '.join(known)}." if known else ".")
            )
            continue
        located: ErrorDetails = {**error, "loc": inner or (variable,)}
        if error["type"] in _BOUNDS and not inner and error["loc"]:
            # A count out of its bounds (GRIEVANCE_AMQP_PREFETCH=0): the default shows one that works.
            example = _default_of(settings, str(error["loc"][0]))
            if example is not None:
                located["ctx"] = {**(error.get("ctx") or {}), "example": example}
        text = sentence(located)
        sentences.append(f"{variable}: {text}" if inner else text)
    return sentences


def _default_of(settings: type[BaseModel], name: str) -> Any:
    """A number field's default, to show as an example beside a refusal (None for any other field)."""
    info = settings.model_fields.get(name)
    default = info.default if info is not None else None
    return default if isinstance(default, int | float) and not isinstance(default, bool) else None


def _nested_fields(model: type[BaseModel], path: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found along ``path`` (empty when the path leaves the models)."""
    current: type[BaseModel] = model
    for part in path:
        info = current.model_fields.get(str(part))
        annotation = info.annotation if info is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        current = annotation
    return list(current.model_fields)


def plain_errors(
    exc: ValidationError, model: type[BaseModel] | None = None, language: Language = "en"
) -> list[dict[str, str]]:
    """``[{"field": ..., "message": ...}]`` for a problem+json body; values are never echoed."""
    return [
        {"field": _field(error), "message": sentence(error, model, language)}
        for error in exc.errors(include_input=False, include_url=False)
    ]


def example_body(model: type[BaseModel] | None) -> str:
    """A body that ``model`` accepts, to show beside a refusal: its required fields, each with its
    example (``…`` where the model gives none), as compact JSON."""
    fields = model.model_fields if model is not None else {}
    required = {name: info for name, info in fields.items() if info.is_required()}
    return json.dumps(
        {name: info.examples[0] if info.examples else "…" for name, info in (required or fields).items()},
        ensure_ascii=False,
    )


def summary(errors: list[dict[str, str]], language: Language = "en") -> str:
    """The errors as the ``detail`` of a problem: every sentence, in order."""
    return ("" if language == "zh" else " ").join(e["message"] for e in errors)


def language_of(accept_language: str | None, chosen: Any = None) -> Language:
    """The worker's language: what they chose, else the first of zh/en their browser prefers."""
    if chosen in ("zh", "en"):
        return chosen  # type: ignore[no-any-return]  # narrowed to Language by the test above
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def chosen_language(raw: Mapping[str, Any] | None) -> Any:
    """The ``language`` a JSON body asks for, before it is validated (used only to pick zh or en)."""
    return raw.get("language") if isinstance(raw, Mapping) else None
