"""Which scopes a new token may have: committees and factories the registry holds, and nothing else.

A token for a committee or a factory that is not in the registry would work without ever showing a
case (a typo such as ``gz-001-sp`` reads as an empty queue), so the admin API and ``grievance token
issue`` against a store both refuse it here, naming what the registry does hold. A committee and a
factory given together must agree: the committee's cases are those of its factory.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.router.registry_store import RETIRED, RegistryStore
from shared.invocation import grievance

SHOWN = 20  # a registry of a few hundred factories is named by its first codes, then counted


class ScopeRefused(Exception):
    """The registry holds no such committee or factory, or they do not belong together.

    ``field`` is the admin API's name of the scope that is wrong, ``value`` what was asked for.
    """

    def __init__(self, field: str, value: str, message: str) -> None:
        super().__init__(message)
        self.field, self.value, self.message = field, value, message


def _known(kind: str, names: Sequence[str]) -> str:
    if not names:
        return f"the registry has no {kind} yet: load one with `{grievance('registry load FILE')}`"
    shown = ", ".join(names[:SHOWN])
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return f"the {kind} are: {shown}{more}"


async def check_scope(
    registry: RegistryStore, committee_id: str | None, factories: Sequence[str] | None
) -> None:
    """Raise :class:`ScopeRefused` unless every committee and factory named is in the registry."""
    factory_of: str | None = None
    if committee_id is not None:
        found = await registry.committee_factory(committee_id)
        if found is None:
            raise ScopeRefused(
                "committee_id",
                committee_id,
                f"committee {committee_id} is not in the registry; "
                + _known("committees", await registry.committee_ids()),
            )
        factory_of, active = found
        if not active:
            raise ScopeRefused("committee_id", committee_id, f"committee {committee_id}: {RETIRED}")
    if factories:
        codes = await registry.factory_codes()
        unknown = [f for f in dict.fromkeys(factories) if f not in codes]
        if unknown:
            named = f"factory {unknown[0]} is" if len(unknown) == 1 else f"factories {', '.join(unknown)} are"
            raise ScopeRefused(
                "factories", unknown[0], f"{named} not in the registry; " + _known("factories", codes)
            )
    if factory_of is not None and factories:
        other = next((f for f in factories if f != factory_of), None)
        if other is not None:
            raise ScopeRefused(
                "factories",
                other,
                f"committee {committee_id} belongs to factory {factory_of}, not {other}",
            )
