"""Who is told about a factory's cases, and where: the ``notify_recipients`` collection.

The registry loader writes it (``grievance registry load``): one document per committee that set a
``notify`` block and one per NGO of the registry's ``ngos``. The router reads it for a committee's
new cases and workers' messages, escalation for deadlines and escalations. It belongs to this
package rather than to the router's ``committees``, because a service reads only its own
collections and both services tell recipients. Each load replaces the whole directory: a committee
or NGO that left the registry, or dropped its block, is told nothing more.

The documents hold the robots' URLs and the DingTalk secret in clear (``NotifyConfig.stored``):
the notifier must send with them. Nothing else reads this collection, and no answer shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.notify.config import NgoNotify, NotifyConfig
from services.notify.model import Recipient, RecipientKind
from shared.store import ASCENDING, Database, IndexModel

RECIPIENTS = "notify_recipients"
INDEXES = {RECIPIENTS: [IndexModel([("kind", ASCENDING), ("factories", ASCENDING)])]}


class Entry(BaseModel):
    """A recipient as the directory keeps it: ``factories`` is an NGO's scope (empty: every factory)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecipientKind
    id: str
    factories: tuple[str, ...] = ()
    notify: NotifyConfig

    @classmethod
    def committee(cls, committee_id: str, notify: NotifyConfig) -> Entry:
        return cls(kind="committee", id=committee_id, notify=notify)

    @classmethod
    def ngo(cls, ngo: NgoNotify) -> Entry:
        return cls(kind="ngo", id=ngo.id, factories=tuple(ngo.factories), notify=ngo.notify)

    def document(self) -> dict[str, Any]:
        return {
            "_id": f"{self.kind}:{self.id}",
            "kind": self.kind,
            "id": self.id,
            "factories": list(self.factories),
            "notify": self.notify.stored(),
        }

    def recipient(self) -> Recipient:
        return Recipient(kind=self.kind, id=self.id, notify=self.notify)


def _recipient(doc: dict[str, Any]) -> Recipient:
    return Recipient(kind=doc["kind"], id=doc["id"], notify=NotifyConfig.model_validate(doc["notify"]))


class Directory:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace(self, entries: Iterable[Entry]) -> int:
        """Make the directory hold exactly ``entries``; return how many it holds."""
        documents = [entry.document() for entry in entries]
        for doc in documents:
            await self._db[RECIPIENTS].replace_one({"_id": doc["_id"]}, doc, upsert=True)
        await self._db[RECIPIENTS].delete_many({"_id": {"$nin": [doc["_id"] for doc in documents]}})
        return len(documents)

    async def committee(self, committee_id: str) -> Recipient | None:
        """The committee's recipient, or None when it set no ``notify`` block."""
        doc = await self._db[RECIPIENTS].find_one({"_id": f"committee:{committee_id}"})
        return _recipient(doc) if doc else None

    async def ngos_for(self, factory_id: str | None) -> list[Recipient]:
        """The NGOs whose scope covers the factory (a case without a factory: the NGOs of every factory)."""
        scope: list[dict[str, Any]] = [{"factories": []}]
        if factory_id is not None:
            scope.append({"factories": factory_id})
        cursor = self._db[RECIPIENTS].find({"kind": "ngo", "$or": scope}).sort("_id", ASCENDING)
        return [_recipient(doc) async for doc in cursor]
