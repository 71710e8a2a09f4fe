"""The NGO's dashboard and its CSV through a real server: who may look, the filters, the k-rule on
the page and in the file, both languages, and nothing of a worker's in either."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.escalation import store
from services.escalation.app import create_app
from services.escalation.dashboard import setup_dashboard
from shared.auth import issue_token, revoke_token
from shared.pages import CATALOG, Catalog, setup_pages
from shared.runtime import Runtime
from shared.settings import Settings
from tests.conftest import make_settings
from tests.fakes import FakeClock
from tests.servers import ServiceServer
from tests.service.dashboard_support import K, ngo_session, publish_cases, use_session
from tests.service.escalation_support import WAGES_TEXT


@pytest.fixture
def settings() -> Settings:
    return make_settings(dashboard_min_cohort=K)


@pytest.fixture
async def client(
    settings: Settings, runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(ServiceServer(create_app(settings, runtime))) as client:
        yield client


@pytest.fixture
async def signed(
    client: TestClient[web.Request, web.Application], runtime: Runtime, clock: FakeClock
) -> TestClient[web.Request, web.Application]:
    await publish_cases(runtime, clock.now)
    clock.advance(days=10)
    session_id, _ = await ngo_session(runtime.db)
    use_session(client, session_id)
    return client


async def page(client: TestClient[web.Request, web.Application], path: str, status: int = 200) -> str:
    response = await client.get(path, allow_redirects=False)
    assert response.status == status, (path, response.status)
    return str(await response.text())


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the mark Excel needs to read UTF-8
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


async def test_without_a_session_the_pages_lead_to_the_console_sign_in(
    client: TestClient[web.Request, web.Application], runtime: Runtime
) -> None:
    for path in ("/console/dashboard", "/console/dashboard.csv"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/console/sign-in?next=%2Fconsole%2Fdashboard"
    use_session(client, "x" * 43)  # a cookie no session has
    assert (await client.get("/console/dashboard", allow_redirects=False)).status == 303


async def test_a_revoked_token_or_a_committee_token_ends_the_session(
    client: TestClient[web.Request, web.Application], runtime: Runtime
) -> None:
    session_id, token_id = await ngo_session(runtime.db)
    use_session(client, session_id)
    await page(client, "/console/dashboard")
    await revoke_token(runtime.db, token_id)
    await page(client, "/console/dashboard", 303)
    committee, _ = await ngo_session(runtime.db, role="committee", committee_id="gz-001-spt")
    use_session(client, committee)
    await page(client, "/console/dashboard", 303)


async def test_the_page_shows_the_figures_with_small_cohorts_hidden_in_chinese(
    signed: TestClient[web.Request, web.Application],
) -> None:
    response = await signed.get("/console/dashboard?lang=zh")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Cache-Control"] == "no-store"
    html = await response.text()
    assert "<title>申诉机制成效看板</title>" in html
    assert "少于 3 件" in html and "不公开" in html
    assert html.count('role="img"') == 3 and "<desc" in html
    assert "各工厂按时确认的比例" in html
    assert "SZ-002" in html and "GZ-001" in html
    assert WAGES_TEXT not in html  # the figures, never a worker's words


async def test_the_page_in_english_has_the_same_figures(
    signed: TestClient[web.Request, web.Application],
) -> None:
    html = await page(signed, "/console/dashboard?lang=en")
    assert "<title>Grievance mechanism effectiveness</title>" in html
    assert "fewer than 3 cases" in html and "withheld" in html
    # SZ-002's three cases: all acknowledged on time, resolved in 1, 2 and 4 days (median 2).
    assert "SZ-002: 100.0%" in html and "2.0 days" in html


async def test_the_csv_is_excel_ready_and_hides_what_the_page_hides(
    signed: TestClient[web.Request, web.Application],
) -> None:
    response = await signed.get("/console/dashboard.csv?lang=en", allow_redirects=False)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="grievance-dashboard.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = rows_of(await response.read())
    header = rows[0]
    assert header[:5] == ["Level", "Factory", "Category", "Received", "Received (why hidden)"]
    table = {(r[0], r[1], r[2]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    total = table[("total", "", "")]
    assert (total["Received"], total["Escalated"], total["Reopened"]) == ("8", "1", "1")
    health = table[("factory and category", "GZ-001", "Health and safety")]
    assert health["Received"] == "" and health["Received (why hidden)"] == "fewer than 3 cases"
    wages = table[("factory and category", "GZ-001", "Wages")]
    assert wages["Received"] == "" and wages["Received (why hidden)"] == "withheld"
    assert table[("factory", "GZ-001", "")]["Received"] == "5"
    sz = table[("factory", "SZ-002", "")]
    assert sz["Acknowledged on time %"] == "100.0" and sz["Median days to resolve"] == "2.0"
    assert sz["Acknowledged on time % (why hidden)"] == ""


async def test_the_csv_in_chinese_carries_the_filters_in_its_name(
    signed: TestClient[web.Request, web.Application],
) -> None:
    response = await signed.get("/console/dashboard.csv?factory=SZ-002&from=2020-01-01&lang=zh")
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="grievance-dashboard-2020-01-01-SZ-002.csv"'
    rows = rows_of(await response.read())
    assert rows[0][:3] == ["层级", "工厂", "类别"]
    assert {r[1] for r in rows[1:]} == {"", "SZ-002"} and rows[1][0] == "合计"


async def test_a_cell_a_spreadsheet_would_run_is_written_as_text(
    signed: TestClient[web.Request, web.Application], runtime: Runtime
) -> None:
    for _ in range(K):
        doc = {"case_id": f"evil-{_}", "assigned": True, "factory_id": '=HYPERLINK("http://x")'}
        await runtime.db[store.RECORDS].insert_one(doc | {"category": "wages"})
    rows = rows_of(await (await signed.get("/console/dashboard.csv")).read())
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert all(not cell.startswith("-") or cell[1:].replace(".", "").isdigit() for cell in cells)
    html = await page(signed, "/console/dashboard")
    assert "=HYPERLINK(&#34;http://x&#34;)" in html  # on the page, escaped text


@pytest.mark.parametrize(
    ("query", "shown", "absent"),
    [
        ("category=health_safety", ["GZ-001"], ["SZ-002"]),
        ("factory=SZ-002", ["SZ-002"], ["GZ-001"]),
        ("from=2999-01-01", ["No cases in this selection."], ["SZ-002"]),
        ("to=2000-01-01", ["No cases in this selection."], ["GZ-001"]),
        ("factory=&category=&from=&to=", ["SZ-002", "GZ-001"], []),
    ],
)
async def test_the_filters_narrow_the_figures(
    signed: TestClient[web.Request, web.Application], query: str, shown: list[str], absent: list[str]
) -> None:
    html = await page(signed, f"/console/dashboard?lang=en&{query}")
    main = html.split('<main id="main">', 1)[1].split("</form>", 1)[1]  # past the filter's options
    for text in shown:
        assert text in main, text
    for text in absent:
        assert text not in main, text


async def test_a_category_filter_counts_the_category_alone(
    signed: TestClient[web.Request, web.Application],
) -> None:
    rows = rows_of(await (await signed.get("/console/dashboard.csv?category=wages&lang=en")).read())
    total = dict(zip(rows[0], rows[1], strict=True))
    assert total["Received"] == "7"


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday",
        "from=1700000000",
        "from=2026-02-30",
        "to=2026-01-01&from=2026-02-01",
        "category=unknown",
        "factory=%3Cscript%3E",
        "from=0001-01-01",
        "factory=GZ-001&factory=SZ-002",
    ],
)
async def test_bad_filters_are_a_clear_400_never_a_5xx(
    signed: TestClient[web.Request, web.Application], query: str
) -> None:
    html = await page(signed, f"/console/dashboard?lang=en&{query}", 400)
    assert "Please check the filters" in html and "<script>" not in html
    response = await signed.get(f"/console/dashboard.csv?{query}")
    assert response.status == 400 and response.content_type == "application/problem+json"


async def test_a_token_scoped_to_factories_sees_only_theirs(
    client: TestClient[web.Request, web.Application], runtime: Runtime, clock: FakeClock
) -> None:
    await publish_cases(runtime, clock.now)
    session_id, _ = await ngo_session(runtime.db, factories=["SZ-002"])
    use_session(client, session_id)
    html = await page(client, "/console/dashboard?lang=en")
    assert "SZ-002" in html and "GZ-001" not in html
    other = await page(client, "/console/dashboard?lang=en&factory=GZ-001")
    assert "No cases in this selection." in other
    rows = rows_of(await (await client.get("/console/dashboard.csv?factory=GZ-001")).read())
    assert len(rows) == 2 and rows[1][3] == "0"  # the total of nothing, and no row of GZ-001


async def test_the_dashboard_counts_what_the_statistics_api_counts(
    signed: TestClient[web.Request, web.Application], runtime: Runtime
) -> None:
    token, _ = await issue_token(runtime.db, "ngo")
    api = await (await signed.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"})).json()
    rows = rows_of(await (await signed.get("/console/dashboard.csv?lang=en")).read())
    total = dict(zip(rows[0], rows[1], strict=True))
    for name, column in (("received", "Received"), ("escalated", "Escalated"), ("disputed", "Disputed")):
        assert total[column] == str(api["total"][name]), name
    assert api["total"]["reopened"] == 1
    assert timedelta(0) < timedelta(days=api["total"]["median_days_to_resolve"])


def test_the_dashboard_joins_pages_another_console_set_up_first() -> None:
    """The NGO console sets the page kit up on the same app; its words stay its own."""
    app = web.Application()
    console = Catalog({"error.back": {"zh": "返回", "en": "Go back"}})
    setup_pages(app, "services.escalation", console)
    setup_dashboard(app)
    assert app[CATALOG].text("en", "error.back") == "Go back"
    assert {r.resource.canonical for r in app.router.routes() if r.resource} >= {
        "/console/dashboard",
        "/console/dashboard.csv",
    }


async def test_the_dashboard_sets_the_page_kit_up_when_alone(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/static/site.css")
    assert response.status == 200 and "svg.chart" in await response.text()
