"""The factory and committee registry: validated YAML loaded idempotently into MongoDB (section 12).

``grievance registry load FILE`` calls :func:`load_registry_file`. Loading the same file twice
changes nothing; a changed factory or committee is updated in place; a committee that disappears
from its factory's entry is retired (kept, because cases refer to it, but no longer assigned new
cases, its tokens revoked and its open cases moved: :mod:`services.router.lifecycle`). Codes and ids are plain patterns, so no string from the file can act as a query operator.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.notify.config import NgoNotify, NotifyConfig
from services.notify.directory import Directory, Entry
from services.router.assign import DEFAULT_TIMEZONE, fold_name
from services.router.lifecycle import settle
from services.router.registry_store import (
    CommitteeRecord,
    FactoryRecord,
    MemberRecord,
    RegistryStore,
)
from shared.contracts import CATEGORIES, utcnow
from shared.messaging import Bus
from shared.privacy import normalise_e164
from shared.runtime import Clock
from shared.store import Database

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
CommitteeId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class RegistryError(ValueError):
    """The registry file cannot be loaded; the message names the problem, never a member's data."""


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    aliases: list[Name] = []
    role: Literal["worker_rep", "management"]


class Committee(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: CommitteeId
    name: Name
    categories: list[str] = Field(min_length=1)
    members: list[Member] = []
    # Where the committee is told of its cases (docs/notifications.md); none: it reads the console.
    notify: NotifyConfig | None = None

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c != "all" and c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown categories: {', '.join(unknown)}")
        if "all" in value and len(value) > 1:
            raise ValueError("'all' stands alone")
        return sorted(set(value))


class Factory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    name: Name
    region: str | None = Field(default=None, max_length=100)
    workers: int | None = Field(default=None, ge=0)
    sms_numbers: list[str] = []
    keywords: list[Annotated[str, Field(min_length=2, max_length=32)]] = []
    # The zone of the times the factory's workers are told (deadlines in texts and on the status page).
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)
    committees: list[Committee] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known time zone (for example Asia/Shanghai)") from None
        return value

    @field_validator("sms_numbers")
    @classmethod
    def _e164(cls, value: list[str]) -> list[str]:
        numbers = []
        for raw in value:
            number = normalise_e164(str(raw))
            if number is None:
                raise ValueError("an SMS number is not a possible phone number")
            numbers.append(number)
        return sorted(set(numbers))


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    factories: list[Factory] = Field(min_length=1)
    # The NGOs told of escalations, each with its factories (empty: all) and its notify block.
    ngos: list[NgoNotify] = []

    @model_validator(mode="after")
    def _unique(self) -> Registry:
        codes = [fold_name(f.code) for f in self.factories]
        committee_ids = [c.id for f in self.factories for c in f.committees]
        numbers = [n for f in self.factories for n in f.sms_numbers]
        words = [fold_name(w) for f in self.factories for w in {f.code, *f.keywords}]
        for label, values in (
            ("factory codes", codes),
            ("committee ids", committee_ids),
            ("SMS numbers", numbers),
            ("codes and keywords", words),
        ):
            if len(values) != len(set(values)):
                raise ValueError(f"{label} must be unique across the registry")
        if len({n.id for n in self.ngos}) != len(self.ngos):
            raise ValueError("NGO ids must be unique across the registry")
        return self


def parse_registry(data: Any) -> Registry:
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_input=False)
        )
        raise RegistryError(f"invalid registry: {problems}") from None


def _factory_record(factory: Factory) -> FactoryRecord:
    return FactoryRecord(
        code=factory.code,
        name=factory.name,
        region=factory.region,
        workers=factory.workers,
        sms_numbers=tuple(factory.sms_numbers),
        keywords=tuple(factory.keywords),
        keywords_folded=tuple(sorted({fold_name(k) for k in factory.keywords})),
        timezone=factory.timezone,
        committees=tuple(c.id for c in factory.committees),
    )


def _committee_record(factory: Factory, committee: Committee) -> CommitteeRecord:
    return CommitteeRecord(
        id=committee.id,
        factory_id=factory.code,
        name=committee.name,
        categories=tuple(committee.categories),
        members=tuple(
            MemberRecord(name=m.name, aliases=tuple(m.aliases), role=m.role) for m in committee.members
        ),
    )


def notify_entries(registry: Registry) -> list[Entry]:
    """The directory of who is told of cases: every committee with a ``notify`` block, every NGO."""
    committees = [
        Entry.committee(c.id, c.notify)
        for f in registry.factories
        for c in f.committees
        if c.notify is not None
    ]
    return [*committees, *(Entry.ngo(ngo) for ngo in registry.ngos)]


async def load_registry(
    db: Database, data: Any, *, bus: Bus | None = None, clock: Clock = utcnow
) -> dict[str, int]:
    """Load a parsed YAML document; return counts of what was inserted, updated, unchanged, retired,
    how many recipients the notification directory holds, and what :func:`services.router.lifecycle.settle` did to tokens and cases (see there)."""
    registry = parse_registry(data)
    counts = dict.fromkeys(
        (
            "factories_inserted",
            "factories_updated",
            "factories_unchanged",
            "committees_inserted",
            "committees_updated",
            "committees_unchanged",
            "committees_retired",
        ),
        0,
    )
    store = RegistryStore(db)
    for factory in registry.factories:
        outcome = await store.upsert_factory(_factory_record(factory))
        counts[f"factories_{outcome}"] += 1
        for committee in factory.committees:
            outcome = await store.upsert_committee(_committee_record(factory, committee))
            counts[f"committees_{outcome}"] += 1
        counts["committees_retired"] += await store.retire_committees(
            factory.code, [c.id for c in factory.committees]
        )
    # Once more at the end, whatever changed: a load that stopped between a write and its move is
    # finished by the next one, which then writes nothing (see registry_store).
    await store.moved()
    counts["notify_recipients"] = await Directory(db).replace(notify_entries(registry))
    counts.update(await settle(db, bus=bus, clock=clock))
    return counts


async def load_registry_file(
    db: Database, path: str | Path, *, bus: Bus | None = None, clock: Clock = utcnow
) -> dict[str, int]:
    """Read a registry YAML file and load it (see :func:`load_registry`)."""
    try:
        text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"the registry is not valid YAML: {exc.__class__.__name__}") from None
    except OSError as exc:
        raise RegistryError(f"cannot read the registry: {exc.strerror}") from None
    return await load_registry(db, data, bus=bus, clock=clock)
