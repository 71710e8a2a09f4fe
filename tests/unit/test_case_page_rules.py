"""The worker case page's pure parts: what a worker may type to name the case, the PIN check over
candidates, the prefilled field, what the worker's view shows and hides, and its texts."""

from __future__ import annotations

import pytest
from aiohttp import web

from services.router.case_page_texts import TEXTS
from services.router.case_session import prefilled
from services.router.console_texts import TEXTS as CONSOLE_TEXTS
from services.router.pin_gate import Entered, opened_by
from services.router.progress import StatusFacts
from services.router.views import worker_view
from shared.ids import case_code
from shared.pages import BASE, CATALOG, Catalog, add_texts, setup_pages
from shared.privacy import Keys, pin_hash
from tests.unit.test_router_case import AT, LATER, SPT, opened

REFERENCE = "K7M3P-9QXA2"


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("K7M3P-9QXA2", "reference", REFERENCE),
        ("k7m3p-9qxa2", "reference", REFERENCE),
        (" K7M3P 9QXA2 ", "reference", REFERENCE),
        ("K7M3P9QXA2", "reference", REFERENCE),
        ("k7m3p9", "code", "K7M3P9"),
        ("K7M3P-9", "code", "K7M3P9"),
    ],
)
def test_a_reference_or_code_is_read_as_a_worker_types_it(typed: str, kind: str, value: str) -> None:
    entered = Entered.parse(typed)
    assert entered is not None and (entered.kind, entered.value) == (kind, value)


@pytest.mark.parametrize(
    "typed", ["", "K7M3P", "K7M3P-9QXA", "K7M3P-9QXA2X", "O0I1L2", "<script>", "K7M3P-9QXA2;"]
)
def test_anything_else_names_no_case(typed: str) -> None:
    assert Entered.parse(typed) is None


def test_the_status_api_takes_references_only() -> None:
    assert Entered.parse(case_code(REFERENCE), codes=False) is None
    assert Entered.parse(REFERENCE, codes=False) == Entered("reference", REFERENCE)


def facts(reference: str, pin_of: str | None, keys: Keys, original: str | None = None) -> StatusFacts:
    return StatusFacts(
        reference=reference,
        original_reference=original,
        case_id=f"case-{reference}",
        pin_hash=pin_hash(keys, original or reference, pin_of) if pin_of else None,
        category="wages",
        severity="normal",
        status="assigned",
        ack_due_at=AT,
        resolve_due_at=AT,
    )


def test_the_pin_decides_among_the_cases_of_a_code(keys: Keys) -> None:
    mine = facts("K7M3P-9QXA2", "1234567890", keys)
    other = facts("K7M3P-9ABCD", "5555555555", keys)
    collided = facts("K7M3P-9ZZZZ", "7777777777", keys, original="K7M3P-9YYYY")
    assert opened_by([other, mine], keys, "K7M3P9", "1234567890") == mine
    assert opened_by([other, mine], keys, "K7M3P9", "5555555555") == other
    # A case given another reference on a collision opens with the PIN of the reference given.
    assert opened_by([collided], keys, "K7M3P9", "7777777777") == collided
    assert opened_by([other, mine], keys, "K7M3P9", "0000000000") is None
    assert opened_by([facts(REFERENCE, None, keys)], keys, REFERENCE, "1234567890") is None  # no PIN
    assert opened_by([], keys, REFERENCE, "1234567890") is None  # the stand-in opens nothing


def test_a_link_fills_in_only_a_well_formed_reference_or_code() -> None:
    assert prefilled({"ref": REFERENCE.lower()}) == REFERENCE
    assert prefilled({"code": "k7m3p9"}) == "K7M3P9"
    assert prefilled({"ref": '"><b>'}) == "" and prefilled({}) == ""


def test_the_worker_sees_the_thread_and_nothing_internal() -> None:
    case = opened().reply(by=SPT, message_id="m1", text="我们在查", now=LATER, reach_worker=True).case
    case = case.model_copy(update={"conflicts": (), "recused_by": ("gz-001-women",)})
    view = worker_view(case, LATER)
    assert view["status"] == "acknowledged" and view["with_independent_organisation"] is False
    assert [(m["direction"], m["text"]) for m in view["messages"]] == [
        ("worker", "工资没发"),
        ("committee", "我们在查"),
    ]
    assert view["ack_due_at"] == case.ack_due_at.isoformat()  # the worker's own case: exact times
    shown = repr(view)
    for hidden in (
        SPT,
        "gz-001-women",
        "sealed-contact",
        "reporter",
        "GZ-001",
        "wages",
        "timeline",
        "pin_hash",
    ):
        assert hidden not in shown


def test_every_text_has_both_languages_and_no_key_is_shared_with_the_console() -> None:
    assert TEXTS.incomplete() == []
    assert not set(TEXTS.texts) & (set(CONSOLE_TEXTS.texts) | set(BASE.texts))
    assert all(key.startswith("worker.") for key in TEXTS.texts)


def test_a_second_page_family_cannot_redefine_a_text() -> None:
    app = web.Application()
    setup_pages(app, "services.router", CONSOLE_TEXTS)
    add_texts(app, TEXTS)
    assert app[CATALOG].text("en", "worker.brand") == "My grievance"
    with pytest.raises(ValueError, match=r"worker\.brand"):
        add_texts(app, Catalog({"worker.brand": {"zh": "别的", "en": "Other"}}))
