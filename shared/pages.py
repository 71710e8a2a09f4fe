"""Server-rendered pages for workers, committees and NGOs: templates, language, headers (one setup).

Every page is plain HTML that works without JavaScript, in Simplified Chinese or English, with no
third-party asset: the stylesheet is served from this package. A service calls :func:`setup_pages`
with its own template package and text catalogue; templates extend ``base.html`` from
``shared/templates`` and say every word through ``t("key")``, so a page cannot show a string that
has no translation (a missing key fails at render time, and the tests render every page in both
languages).

The language comes from an explicit choice (``?lang=zh``, remembered in a cookie), else from the
browser's ``Accept-Language``. Pages are answered with a strict Content-Security-Policy (no inline
script or style, nothing from elsewhere), ``Referrer-Policy: no-referrer`` (a case reference in a
URL never travels on) and ``Cache-Control: no-store`` (a shared phone keeps no copy of a case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from shared.validation import Language, language_of

STATIC = Path(__file__).resolve().parent / "static"
LANGUAGE_COOKIE = "lang"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class MissingText(KeyError):
    """A template asked for a text the catalogue does not have (in that language)."""


@dataclass(frozen=True)
class Catalog:
    """Every text of a service's pages, in both languages: ``{"key": {"zh": ..., "en": ...}}``."""

    texts: Mapping[str, Mapping[Language, str]]

    def text(self, language: Language, key: str, **values: Any) -> str:
        try:
            template = self.texts[key][language]
        except KeyError:
            raise MissingText(f"{key} ({language})") from None
        return template.format(**values) if values else template

    def merged(self, other: Catalog) -> Catalog:
        return Catalog({**self.texts, **other.texts})

    def incomplete(self) -> list[str]:
        """Keys that lack a language (the tests keep this empty)."""
        return [key for key, by_language in self.texts.items() if set(by_language) != {"zh", "en"}]


CATALOG = web.AppKey("page_catalog", Catalog)
TEMPLATES = web.AppKey("page_templates", jinja2.Environment)

# The texts of base.html, shared by every service's pages.
BASE = Catalog(
    {
        "base.switch": {"zh": "English", "en": "中文"},
        "base.skip": {"zh": "跳到正文", "en": "Skip to content"},
        "base.error_title": {"zh": "出错了", "en": "Something went wrong"},
    }
)


def page_language(request: web.Request) -> Language:
    """``?lang=`` if given, else the remembered choice, else the browser's preference."""
    chosen = request.query.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return language_of(request.headers.get("Accept-Language"), chosen)


def setup_pages(app: web.Application, package: str, catalog: Catalog) -> None:
    """Templates of ``package`` (its ``templates`` folder) over the shared ones, the catalogue, the
    stylesheet at ``/static/site.css``, and the headers every HTML answer carries."""
    app[CATALOG] = BASE.merged(catalog)
    loader = jinja2.ChoiceLoader(
        [jinja2.PackageLoader(package, "templates"), jinja2.PackageLoader("shared", "templates")]
    )
    app[TEMPLATES] = jinja2.Environment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, enable_async=False
    )
    app.router.add_static("/static/", STATIC, name="static", append_version=True)
    app.on_response_prepare.append(_page_headers)


def add_texts(app: web.Application, catalog: Catalog) -> None:
    """Add another page family's texts to a service that has its pages set up already (one
    stylesheet, one template loader); a key both families use would make one page say the other's
    words, so that is refused."""
    shared = set(app[CATALOG].texts) & set(catalog.texts)
    if shared:
        raise ValueError(f"texts defined twice: {sorted(shared)}")
    app[CATALOG] = app[CATALOG].merged(catalog)


def _page_context(request: web.Request) -> dict[str, Any]:
    language = page_language(request)
    catalog = request.app[CATALOG]

    def t(key: str, **values: Any) -> str:
        return catalog.text(language, key, **values)

    other: Language = "en" if language == "zh" else "zh"
    # The stylesheet's URL carries its content hash, so a changed file is never served stale.
    stylesheet = str(request.app.router["static"].url_for(filename="site.css"))
    return {"t": t, "lang": language, "other_lang": other, "path": request.path, "static_url": stylesheet}


async def _page_headers(request: web.Request, response: web.StreamResponse) -> None:
    if response.content_type == "text/html":
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)


async def render(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> web.Response:
    """A page in the visitor's language; an explicit ``?lang=`` is remembered for the next pages."""
    page = request.app[TEMPLATES].get_template(template)
    html = page.render({**_page_context(request), **(context or {})})
    response = web.Response(text=html, content_type="text/html", charset="utf-8", status=status)
    chosen = request.query.get("lang")
    if chosen in ("zh", "en"):
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response
