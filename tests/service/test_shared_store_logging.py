"""The driver never writes documents into the log (on the real-server lane, where pymongo talks).

mongomock emits no driver records at all, so these tests only bite on a wire-protocol server; the
real-server lane runs them there (they use the ``db`` fixture and so carry the ``store`` marker).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from shared.store import Database, DuplicateKeyError
from tests.fakes import sensitive

TEXT = sensitive("The night shift supervisor locked the fire exit again")
KEY = sensitive("reporter-key-that-must-stay-inside-the-store")


@pytest.fixture
def driver_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    caplog.set_level(logging.DEBUG)
    return caplog.records


async def test_commands_and_replies_never_reach_the_log(db: Database, driver_records: list[Any]) -> None:
    await db["cases"].insert_one({"_id": "case-1", "text": TEXT})
    assert (await db["cases"].find_one({"_id": "case-1"}))["text"] == TEXT
    await db["cases"].update_one({"_id": "case-1"}, {"$set": {"text": TEXT + "!"}})

    assert not [r for r in driver_records if r.name.startswith("pymongo.command")]
    assert not [r for r in driver_records if TEXT in r.getMessage()]


async def test_a_duplicate_key_error_never_quotes_the_key(db: Database, driver_records: list[Any]) -> None:
    await db["cases"].create_index("reporter_key", unique=True)
    await db["cases"].insert_one({"reporter_key": KEY})
    with pytest.raises(DuplicateKeyError):
        await db["cases"].insert_one({"reporter_key": KEY})

    assert not [r for r in driver_records if KEY in r.getMessage()]
