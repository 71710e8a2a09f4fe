"""The dashboard's SVG bar charts: accessible names, every value in words, bars to scale, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from services.escalation.dashboard_charts import BAR_SPACE, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to read it as a browser would


def test_the_chart_is_an_image_named_and_described_with_every_value() -> None:
    svg = parse(
        bar_chart(
            "ack",
            "Acknowledged on time",
            "Per factory.",
            [Bar("GZ-001", 75.0, "75.0%"), Bar("GZ-002", None, "fewer than 5 cases")],
        )
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "ack-title ack-desc"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.get("id") == "ack-title" and title.text == "Acknowledged on time"
    assert desc is not None and desc.get("id") == "ack-desc"
    assert desc.text == "Per factory. GZ-001: 75.0%; GZ-002: fewer than 5 cases"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["GZ-001", "75.0%", "GZ-002", "fewer than 5 cases"]


def test_bars_are_drawn_to_scale_and_a_hidden_value_draws_none() -> None:
    svg = parse(
        bar_chart(
            "c",
            "t",
            "d",
            [Bar("a", 50.0, "50%"), Bar("b", 100.0, "100%"), Bar("c", None, "—"), Bar("d", 140.0, "?")],
        )
    )
    bars = [float(r.get("width", "")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert bars == [BAR_SPACE / 2, BAR_SPACE, BAR_SPACE]  # c has none; d is capped at the scale
    assert len([r for r in svg.iter(f"{SVG}rect") if r.get("class") != "bar"]) == 4  # one track each
    counted = parse(bar_chart("n", "t", "d", [Bar("a", 3, "3"), Bar("b", 12, "12")], scale=12))
    widths = [float(r.get("width", "")) for r in counted.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert widths == [BAR_SPACE / 4, BAR_SPACE]


def test_labels_and_words_are_text_never_markup() -> None:
    markup = bar_chart('x" onload="alert(1)', "<b>t</b>", "&", [Bar("<script>alert(1)</script>", 10, "<i>")])
    svg = parse(markup)  # still well-formed XML
    assert "<script>" not in markup and 'onload="' not in markup
    assert next(t.text for t in svg.iter(f"{SVG}text")) == "<script>alert(1)</script>"


def test_an_empty_chart_still_has_its_name_and_a_scale_must_be_positive() -> None:
    svg = parse(bar_chart("e", "Nothing yet", "No factory has cases.", []))
    assert svg.find(f"{SVG}title") is not None and list(svg.iter(f"{SVG}rect")) == []
    with pytest.raises(ValueError):
        bar_chart("z", "t", "d", [], scale=0)
