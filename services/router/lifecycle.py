"""What a registry load does to committees beyond their records: retirement and new members.

After :func:`services.router.registry.load_registry` wrote the factories and committees,
:func:`settle` brings the cases and tokens in line with them:

- a retired committee (one its factory's entry no longer lists) loses every token, and each of its
  open cases moves to another committee of the factory or, when none may take it, to the NGO;
- a committee whose member list changed since its open cases were last checked has them checked
  again: a case whose worker may name one of its members (a member who just joined) moves away,
  to another committee or the NGO (``conflict_of_interest``), and the committee no longer sees it.

Both are driven by the stored state, not by what this load changed, so they are idempotent and
resumable: a second load finds nothing left to do, and a load interrupted half-way (a crash, a
lost race) leaves work that the next load finds and finishes. A member list counts as checked only
once every case was looked at (``members_checked`` holds the digest of the list checked).
"""

from __future__ import annotations

import structlog

from services.router.case import MoveCause
from services.router.case_store import CaseStore
from services.router.errors import CaseNotFound, ChangedConcurrently
from services.router.reassign import move_away, names_member_of
from services.router.registry_store import RegistryStore
from shared.auth import revoke_committee_tokens
from shared.messaging import Bus
from shared.runtime import Clock
from shared.store import Database

log = structlog.get_logger(__name__)

COUNTS = ("tokens_revoked", "cases_reassigned", "cases_to_ngo", "cases_deferred")


async def settle(db: Database, *, bus: Bus | None, clock: Clock) -> dict[str, int]:
    """Revoke retired committees' tokens and move the cases committees may no longer hold; counts.

    ``cases_deferred`` counts cases another writer changed at the same moment: they are left for
    the next load (which finds them still held), and their committee is not marked checked.
    """
    cases, registry = CaseStore(db), RegistryStore(db)
    counts = dict.fromkeys(COUNTS, 0)
    retired = await registry.retired()
    counts["tokens_revoked"] = await revoke_committee_tokens(db, retired)

    async def move(case_id: str, committee_id: str, cause: MoveCause) -> bool:
        try:
            moved = await move_away(
                case_id, committee_id, cause, cases=cases, registry=registry, bus=bus, clock=clock
            )
        except CaseNotFound:
            return True
        except ChangedConcurrently:
            counts["cases_deferred"] += 1
            return False
        if moved.changed:
            counts["cases_reassigned" if moved.case.committee_id else "cases_to_ngo"] += 1
        return True

    for committee_id in retired:
        for case in await cases.held_by(committee_id):
            await move(case.case_id, committee_id, "committee_retired")
    for membership in await registry.unchecked():
        committee = membership.committee
        complete = True
        for case in await cases.held_by(committee.id):
            if names_member_of(case, committee):
                complete = await move(case.case_id, committee.id, "conflict_of_interest") and complete
        if complete:
            await registry.mark_checked(committee.id, membership.digest)
    if any(counts.values()):
        log.info("committees_settled", **counts)
    return counts
