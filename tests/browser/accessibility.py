"""Accessibility checks in the browser: axe-core run in the page, failing on serious or critical findings.

axe-core comes from npm, pinned exactly in ``package.json`` / ``package-lock.json`` (``npm ci``
puts it in ``node_modules``; ``.ci/run`` and ``make pytest`` do that when the file is missing). It
is loaded into the page under test with Playwright's ``add_script_tag(path=...)``, which injects
the file as an inline script: the pages' Content-Security-Policy forbids inline script, as it
should, so the contexts that run axe bypass the policy (:func:`checked_context`); everything else
about the page is as served. Without the file the checks are skipped, except under CI, where that
is a failure. Serious and critical findings fail (contrast, names of controls, landmarks, language);
moderate and minor ones are returned for a person to read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

import os
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")
PHONE: ViewportSize = {"width": 360, "height": 740}

_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
    }));
}"""


async def checked_context(browser: Browser, locale: str = "zh-CN") -> BrowserContext:
    """A phone-sized browser context in which axe-core can be loaded into the pages."""
    return await browser.new_context(viewport=PHONE, locale=locale, bypass_csp=True)


async def assert_accessible(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it stands; fail on serious or critical violations, return the rest."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing and CI is set (npm ci installs it)")
        pytest.skip("axe-core is not installed (npm ci)")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = await page.evaluate(_RUN)
    failing = [v for v in violations if v["impact"] in FAILING]
    assert not failing, f"{page.url}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'])}" for v in failing
    )
    return violations
