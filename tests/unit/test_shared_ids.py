"""Case references: unambiguous, derived, and found in free text."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.contracts import GrievanceReceived
from shared.ids import ALPHABET, case_code, find_reference, grievance_id_for, is_case_code, reference_for


def test_alphabet_has_no_confusable_characters() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert len(ALPHABET) == 31


@given(st.uuids())
def test_every_reference_matches_the_contract_pattern(value: Any) -> None:
    reference = reference_for(value)
    pattern = GrievanceReceived.model_fields["reference"].metadata[0].pattern
    import re

    assert re.fullmatch(pattern, reference)


def test_references_are_derived_and_distinct() -> None:
    ids = [uuid.uuid4() for _ in range(2000)]
    assert len({reference_for(i) for i in ids}) == 2000
    assert reference_for(ids[0]) == reference_for(ids[0])


def test_grievance_ids_are_deterministic_per_key() -> None:
    assert grievance_id_for("twilio", "AC1", "SM1") == grievance_id_for("twilio", "AC1", "SM1")
    assert grievance_id_for("twilio", "AC1", "SM1") != grievance_id_for("twilio", "AC1", "SM2")
    # Parts are separated, so shifting characters between them gives another id.
    assert grievance_id_for("ab", "c") != grievance_id_for("a", "bc")


def test_find_reference_anywhere_any_case_with_or_without_dash() -> None:
    reference = reference_for(uuid.uuid4())
    compact = reference.replace("-", "")
    assert find_reference(f"关于 {reference} 的回复") == reference
    assert find_reference(f"re {compact.lower()} please") == reference
    assert find_reference("no reference here 12345") is None
    assert find_reference("X" + compact) is None


@given(st.uuids())
def test_a_case_code_is_six_characters_of_its_reference(value: Any) -> None:
    reference = reference_for(value)
    code = case_code(reference)
    assert is_case_code(code)
    assert reference.replace("-", "").startswith(code)


def test_a_case_code_is_written_exactly() -> None:
    assert is_case_code("ABC234")
    assert not is_case_code("abc234")
    assert not is_case_code("ABC23")
    assert not is_case_code("ABC2340")
    assert not is_case_code("ABC10O")
