"""The summary view keeps the story of a grievance and the warnings, each as one plain line."""

from __future__ import annotations

import pytest
import structlog

from shared.logview import keep_summary, render_summary

STAMP = "2026-03-02T08:00:00.123456Z"


def test_requests_and_routine_lines_are_dropped() -> None:
    for event in ("http_request", "clock_updated", "case_event_published"):
        with pytest.raises(structlog.DropEvent):
            keep_summary(None, "info", {"event": event, "level": "info"})


def test_the_story_and_every_warning_are_kept() -> None:
    for fields in ({"event": "case_created", "level": "info"}, {"event": "anything", "level": "warning"}):
        assert keep_summary(None, "info", dict(fields)) == fields


def test_a_case_reads_as_a_sentence() -> None:
    line = render_summary(
        None,
        "info",
        {
            "event": "case_created",
            "level": "info",
            "timestamp": STAMP,
            "reference": "K7M3P-9QXA2",
            "committee_id": "gz-001-spt",
            "category": "wages",
            "severity": "normal",
        },
    )
    assert line.endswith("case K7M3P-9QXA2 assigned to committee gz-001-spt: wages, normal")
    assert "\n" not in line and "{" not in line


def test_a_case_without_committee_says_who_holds_it() -> None:
    fields = {"event": "case_created", "level": "info", "timestamp": STAMP, "case_id": "c7dd1faf-0b70"}
    fields.update(unassigned_reason="retaliation", category="retaliation", severity="high")
    line = render_summary(None, "info", fields)
    assert line.endswith("case c7dd1faf held for the NGO (retaliation): retaliation, high")


def test_a_warning_shows_its_fields_but_not_the_ids_every_line_carries() -> None:
    fields = {
        "event": "outbound_failed",
        "level": "warning",
        "timestamp": STAMP,
        "error": "no_sender_number",
        "event_id": "c5b4982c",
        "correlation_id": "c7dd1faf",
    }
    line = render_summary(None, "warning", fields)
    assert "warning: outbound_failed  error=no_sender_number" in line
    assert "c5b4982c" not in line and "c7dd1faf" not in line


@pytest.mark.parametrize(
    ("event", "sentence"),
    [
        ("escalation_opened", "case 5K44D-9TNCU escalated to the NGO: disputed"),
        ("escalation_settled", "case 5K44D-9TNCU escalation settled: disputed"),
    ],
)
def test_an_escalation_names_the_case_by_the_reference_the_ngo_sees(event: str, sentence: str) -> None:
    fields = {"event": event, "level": "info", "timestamp": STAMP, "reason": "disputed"}
    fields.update(case_id="6f0f6340-1c2d-4e5f-8a9b-0c1d2e3f4a5b", reference="5K44D-9TNCU")
    line = render_summary(None, "info", fields)
    assert line.endswith(sentence) and "6f0f6340" not in line
