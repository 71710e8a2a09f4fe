"""Loading the registry into the store: idempotent, updates in place, retires dropped committees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.router.registry import RegistryError, load_registry, load_registry_file
from services.router.registry_store import RegistryStore
from shared.store import Database
from tests.service.router_support import REGISTRY


async def committees(db: Database) -> list[dict[str, Any]]:
    """Every committee record, by id (a find without a sort comes back in no defined order)."""
    return sorted([d async for d in db["committees"].find({}, {"_id": 0})], key=lambda d: d["id"])


async def test_loading_twice_changes_nothing(db: Any) -> None:
    first = await load_registry_file(db, REGISTRY)
    assert first["factories_inserted"] == 3 and first["committees_inserted"] == 5
    before = await committees(db)
    second = await load_registry_file(db, REGISTRY)
    assert second == {
        "factories_inserted": 0,
        "factories_updated": 0,
        "factories_unchanged": 3,
        "committees_inserted": 0,
        "committees_updated": 0,
        "committees_unchanged": 5,
        "committees_retired": 0,
        "notify_recipients": 0,
        "tokens_revoked": 0,
        "cases_reassigned": 0,
        "cases_to_ngo": 0,
        "cases_deferred": 0,
    }
    assert await committees(db) == before
    assert await db["factories"].count_documents({}) == 3


async def test_changes_update_in_place_and_dropped_committees_retire(db: Any, tmp_path: Path) -> None:
    await load_registry_file(db, REGISTRY)
    data = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    data["factories"][0]["workers"] = 1300
    data["factories"][0]["committees"] = data["factories"][0]["committees"][:1]
    counts = await load_registry(db, data)
    assert counts["factories_updated"] == 1 and counts["committees_retired"] == 1
    retired = await db["committees"].find_one({"id": "gz-001-women"})
    assert retired["active"] is False
    path = tmp_path / "broken.yaml"
    path.write_text("factories: [", encoding="utf-8")
    with pytest.raises(RegistryError):
        await load_registry_file(db, path)
    with pytest.raises(RegistryError):
        await load_registry_file(db, tmp_path / "missing.yaml")


async def test_routing_reads_the_registry_again_only_once_any_replica_changed_it(db: Any) -> None:
    await load_registry_file(db, REGISTRY)
    router = RegistryStore(db)
    first = await router.routing()
    assert first.committees["GZ-001"] and first.zones["GZ-001"] == "Asia/Shanghai"
    assert await router.routing() is first  # nothing moved: the same routing
    data = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    data["factories"][0]["committees"] = data["factories"][0]["committees"][:1]
    data["factories"][0]["timezone"] = "Asia/Ho_Chi_Minh"
    await load_registry(db, data)  # another process's load, through a store of its own
    after = await router.routing()
    assert [c.id for c in after.committees["GZ-001"]] == ["gz-001-spt"]
    assert after.zones["GZ-001"] == "Asia/Ho_Chi_Minh"
    assert await router.routing() is after  # nothing moved since


async def test_a_load_run_again_after_one_stopped_before_moving_the_version_is_routed_on(db: Any) -> None:
    await load_registry_file(db, REGISTRY)
    router = RegistryStore(db)
    assert (await router.routing()).zones["GZ-001"] == "Asia/Shanghai"
    data = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    data["factories"][0]["timezone"] = "Asia/Ho_Chi_Minh"
    # An earlier load wrote the factory and stopped before it moved the version.
    await db["factories"].update_one({"code": "GZ-001"}, {"$set": {"timezone": "Asia/Ho_Chi_Minh"}})
    assert (await router.routing()).zones["GZ-001"] == "Asia/Shanghai"
    counts = await load_registry(db, data)  # run again, as docs/router.md says: it writes nothing
    assert counts["factories_unchanged"] == 3 and counts["committees_unchanged"] == 5
    assert (await router.routing()).zones["GZ-001"] == "Asia/Ho_Chi_Minh"
