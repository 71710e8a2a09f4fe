"""A tiny application on the shared page kit, for the kit's own tests (its templates live here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from shared.pages import Catalog, render, setup_pages
from shared.sessions import CookiePolicy, CsrfRefused, SessionStore
from shared.web import new_app

TEXTS = Catalog(
    {
        "hello.title": {"zh": "您好", "en": "Hello"},
        "hello.greeting": {"zh": "欢迎，{name}", "en": "Welcome, {name}"},
        "hello.send": {"zh": "发送", "en": "Send"},
        "hello.missing": {"zh": "只有中文"},
    }
)
SESSIONS = web.AppKey("sessions", SessionStore)


def create_app(db: object, *, broken: bool = False) -> web.Application:
    app = new_app("pagekit")
    setup_pages(app, "tests.pagekit", TEXTS)
    app[SESSIONS] = SessionStore(db, CookiePolicy("kit_session", timedelta(minutes=15), secure=False))

    async def hello(request: web.Request) -> web.Response:
        store = request.app[SESSIONS]
        now = datetime.now(UTC)
        session = await store.find(request, "worker", now) or await store.start("worker", "case-1", now)
        response = await render(request, "broken.html" if broken else "hello.html", {"csrf": session.csrf})
        store.attach(response, session)
        return response

    async def send(request: web.Request) -> web.Response:
        store = request.app[SESSIONS]
        session = await store.find(request, "worker", datetime.now(UTC))
        form = await request.post()
        if session is None:
            return web.Response(status=401, text="no session")
        try:
            session.check_csrf(str(form.get("csrf", "")))
        except CsrfRefused:
            return web.Response(status=403, text="refused")
        return web.Response(text="sent")

    app.router.add_get("/", hello)
    app.router.add_post("/send", send)
    return app
