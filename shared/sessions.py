"""Browser sessions for the pages: kept in the store, named by a cookie, guarded against CSRF.

A session is a random 256-bit id in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` outside
development), pointing at a document in the service's own ``page_sessions`` collection that expires
on its own (a TTL index, and every read checks the time too). The document holds who the session is
for (a committee, an NGO, one worker's case) and a CSRF token that every form of the session carries
in a hidden field; a POST whose token does not match is refused before anything happens. Signing
out deletes the document, so a copied cookie dies with it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from shared.store import ASCENDING, Database, IndexModel

COLLECTION = "page_sessions"
INDEXES = {
    COLLECTION: [
        IndexModel([("session_id", ASCENDING)], unique=True),
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
    ]
}


class CsrfRefused(Exception):
    """A form came without the session's token: not from one of our pages, or from an old one."""


@dataclass(frozen=True)
class Session:
    session_id: str
    kind: str  # what the session is for: "committee", "ngo", "worker"
    subject: str  # the committee id, the NGO token id, the worker's case id
    csrf: str
    expires_at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def check_csrf(self, given: str | None) -> None:
        if not given or not hmac.compare_digest(given.encode(), self.csrf.encode()):
            raise CsrfRefused


@dataclass(frozen=True)
class CookiePolicy:
    name: str
    lifetime: timedelta
    secure: bool  # False only for plain-HTTP development runs on loopback


class SessionStore:
    """The sessions of one kind of page in one service's store."""

    def __init__(self, db: Database, policy: CookiePolicy) -> None:
        self._sessions = db[COLLECTION]
        self._policy = policy

    @property
    def policy(self) -> CookiePolicy:
        return self._policy

    async def start(self, kind: str, subject: str, now: datetime, **data: Any) -> Session:
        session = Session(
            session_id=secrets.token_urlsafe(32),
            kind=kind,
            subject=subject,
            csrf=secrets.token_urlsafe(32),
            expires_at=now + self._policy.lifetime,
            data=dict(data),
        )
        await self._sessions.insert_one(
            {
                "session_id": session.session_id,
                "kind": kind,
                "subject": subject,
                "csrf": session.csrf,
                "expires_at": session.expires_at,
                "data": session.data,
            }
        )
        return session

    async def find(self, request: web.Request, kind: str, now: datetime) -> Session | None:
        """The live session of ``kind`` the request's cookie names, or None."""
        session_id = request.cookies.get(self._policy.name, "")
        if not session_id or len(session_id) > 100:
            return None
        doc = await self._sessions.find_one({"session_id": session_id, "kind": kind})
        if doc is None or doc["expires_at"] <= now:
            return None
        return Session(
            session_id=doc["session_id"],
            kind=doc["kind"],
            subject=doc["subject"],
            csrf=doc["csrf"],
            expires_at=doc["expires_at"],
            data=dict(doc.get("data") or {}),
        )

    async def end(self, session: Session) -> None:
        await self._sessions.delete_one({"session_id": session.session_id})

    def attach(self, response: web.StreamResponse, session: Session) -> None:
        response.set_cookie(
            self._policy.name,
            session.session_id,
            max_age=int(self._policy.lifetime.total_seconds()),
            httponly=True,
            secure=self._policy.secure,
            samesite="Strict",
            path="/",
        )

    def detach(self, response: web.StreamResponse) -> None:
        response.del_cookie(self._policy.name, path="/")
