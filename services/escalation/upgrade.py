"""What escalation does at start-up to a store an earlier version left: ``case_clocks`` becomes
``case_records``.

Escalation's record of one case was once called its clock and kept in ``case_clocks``. The
collection is renamed in place (MongoDB's ``renameCollection``: atomic within a database, documents
and indexes kept) before the indexes are ensured, since creating them first would start an empty
``case_records`` beside the old one. Every replica runs it as it starts; of two starting at once,
one renames and the other, refused because the source is gone or the target exists, finds the work
done. An earlier version must not keep running beside the new one across this change
(docs/deployment.md): it would write a fresh ``case_clocks`` that the new version never reads.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from pymongo.errors import OperationFailure

from services.escalation.store import RECORDS, reseal_records
from shared.store import Database

log = structlog.get_logger(__name__)

FORMER_RECORDS = "case_clocks"


async def rename_former_records(db: Database) -> bool:
    """Rename ``case_clocks`` to ``case_records`` when only the former exists; whether this call did.

    Safe to repeat and to run from several replicas at once: nothing to do once ``case_clocks`` is
    gone, and a rename refused while another replica's went through counts as done.
    """
    names = set(await db.list_collection_names())
    if FORMER_RECORDS not in names:
        return False
    if RECORDS in names:
        left = await db[FORMER_RECORDS].estimated_document_count()
        log.warning("former_records_left", collection=FORMER_RECORDS, documents=left, kept=RECORDS)
        return False
    try:
        await db[FORMER_RECORDS].rename(RECORDS)
    except OperationFailure:
        names = set(await db.list_collection_names())
        if FORMER_RECORDS in names and RECORDS not in names:
            raise  # refused for another reason than a replica's rename
        return False
    log.info("former_records_renamed", collection=FORMER_RECORDS, to=RECORDS)
    return True


async def reseal_former_records(
    db: Database, new_seal: Callable[[str], str | None]
) -> tuple[int, int] | None:
    """:func:`store.reseal_records` over a ``case_clocks`` not renamed yet; ``None`` when there is none.

    ``grievance keys rotate`` may run while an earlier version of escalation still uses the former
    name, so it re-seals that collection where it is instead of renaming it under a running service.
    """
    if FORMER_RECORDS not in await db.list_collection_names():
        return None
    return await reseal_records(db, new_seal, FORMER_RECORDS)
