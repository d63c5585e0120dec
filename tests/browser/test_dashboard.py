"""The live dashboard in a real browser, served by the API over a real engine fed live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from iiot_core.store import open_reader
from tests.browser.pages import wait_for_new_line_values
from tests.support.api_tokens import api_settings, auth, token
from tests.support.engine_setup import feed_plant, live_feeder
from tests.support.live_server import Feeder, LiveServer, live_server

TIMEOUT_MS = 10_000


@pytest.fixture
def server(tmp_path: Path, dashboard_assets: None) -> Iterator[LiveServer]:
    async def build() -> tuple[FastAPI, Feeder | None]:
        plant = await feed_plant(tmp_path / "store.db")
        app = create_app(api_settings(), plant.view, open_reader(plant.store_url))
        return app, live_feeder(plant)

    with live_server(build) as s:
        yield s


def _api_calls(urls: list[str]) -> list[str]:
    """API requests other than the one long-lived live stream."""
    return [u for u in urls if "/api/v1/" in u and not u.endswith("/api/v1/stream")]


def _renders_cjk(page: Page, selector: str) -> bool:
    """Whether the element's Chinese text draws differently from glyphs no font has (tofu boxes)."""
    element = page.locator(selector)
    text = element.inner_text()
    shown = element.screenshot()
    element.evaluate("(el, n) => { el.textContent = '\\ue000'.repeat(n); }", len(text))
    tofu = element.screenshot()
    element.evaluate("(el, t) => { el.textContent = t; }", text)
    return shown != tofu


def _text(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text()


def _sign_in(page: Page, secret: str) -> None:
    dialog = page.get_by_test_id("login")
    expect(dialog).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_test_id("login-token").fill(secret)
    page.get_by_test_id("login-submit").click()


def _csp_violations(page: Page) -> list[str]:
    """Console reports of anything the Content-Security-Policy blocked (inline code, other hosts)."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_dashboard_live_language_and_ack(server: LiveServer, page: Page, artifacts: Path) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    blocked = _csp_violations(page)
    page.goto(f"{server.url}/", timeout=TIMEOUT_MS)
    # The API answers 401: the page asks for a token; a wrong one is refused and asked again.
    _sign_in(page, "zcf_00000000_wrong")
    expect(page.get_by_test_id("login-reason")).to_contain_text("not valid", timeout=TIMEOUT_MS)
    _sign_in(page, token(Role.operator))
    expect(page.get_by_test_id("login")).to_be_hidden(timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("conn")).to_have_text("live", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("kpi-power")).not_to_have_text("—", timeout=TIMEOUT_MS)
    assert float(_text(page, "#kpi-power").replace(",", "")) > 0
    expect(page.locator("#trend canvas").first).to_be_visible(timeout=TIMEOUT_MS)

    # Live values move without a reload (pushed over SSE); the as-of cells tick on their own.
    wait_for_new_line_values(page, TIMEOUT_MS)
    # Each node shows its coverage (share of the last minute backed by good samples).
    coverage = page.get_by_test_id("line-coverage").first
    expect(coverage).to_contain_text("%", timeout=TIMEOUT_MS)
    assert 0 <= float(coverage.inner_text().rstrip(" %")) <= 100
    # Everything comes from the app itself (no CDN), and the page does not poll the API.
    assert {urlsplit(u).netloc for u in requested} == {urlsplit(server.url).netloc}, requested
    calls = len(_api_calls(requested))
    page.wait_for_timeout(3000)
    assert _api_calls(requested)[calls:] == [], "the page polls the API"

    # Acknowledge the first raised alert; the page shows it acknowledged.
    item = page.locator("[data-testid=alert]:has([data-testid=ack])").first
    expect(item).to_be_visible(timeout=TIMEOUT_MS)
    alert_id = item.get_attribute("data-id")
    item.get_by_test_id("ack").click()
    acked = page.locator(f"[data-testid=alert][data-id='{alert_id}'] [data-testid=alert-acked]")
    expect(acked).to_be_visible(timeout=TIMEOUT_MS)
    state = httpx.get(f"{server.url}/api/v1/alerts", params={"state": "acknowledged"}, headers=auth()).json()
    assert alert_id in {a["id"] for a in state}
    page.screenshot(path=str(artifacts / "dashboard-en.png"), full_page=True)

    # Chinese labels after the switch, node labels included.
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("#h-site")).to_have_text("全厂实时")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("lines-table")).to_contain_text("一号线")
    expect(page.get_by_test_id("lang-switch")).to_have_text("EN")
    assert _renders_cjk(page, "#h-site"), "Chinese labels render as empty boxes: CJK fonts missing"
    page.screenshot(path=str(artifacts / "dashboard-zh.png"), full_page=True)
    # The token stays in this tab's sessionStorage, never in a cookie.
    assert page.evaluate("sessionStorage.getItem('zcf.token')") == token(Role.operator)
    assert page.context.cookies() == []
    assert blocked == [], blocked


def test_dashboard_fits_a_laptop_screen(server: LiveServer, page: Page, artifacts: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    # Signed in already in this tab (a viewer: reading needs no more).
    page.add_init_script(f"sessionStorage.setItem('zcf.token', {token(Role.viewer)!r})")
    page.goto(f"{server.url}/dashboard/", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("kpi-power")).not_to_have_text("—", timeout=TIMEOUT_MS)
    expect(page.locator("#trend canvas").first).to_be_visible(timeout=TIMEOUT_MS)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page scrolls sideways on a 1280 px screen"
    page.screenshot(path=str(artifacts / "dashboard-laptop.png"), full_page=True)


IDLE_CELL = re.compile(r"^([\d,]+\.\d) \((\d+) %\)$")


def test_lines_table_shows_idle_energy_and_state(server: LiveServer, page: Page) -> None:
    page.add_init_script(f"sessionStorage.setItem('zcf.token', {token(Role.viewer)!r})")
    page.goto(f"{server.url}/dashboard/", timeout=TIMEOUT_MS)
    row = page.locator("[data-testid=line-row][data-path='plant1/assembly/line1']")
    cell = row.locator("td[data-col=idle]")
    expect(cell).to_have_text(IDLE_CELL, timeout=TIMEOUT_MS)
    live = httpx.get(f"{server.url}/api/v1/live", headers=auth()).json()
    line = next(v for v in live if v["path"] == "plant1/assembly/line1")
    m = IDLE_CELL.match(cell.inner_text())
    assert m is not None
    # The feed runs on while we read: today's idle energy only grows, by little.
    assert float(m.group(1).replace(",", "")) == pytest.approx(line["idle_today_kwh"], abs=1.0)
    assert 0 <= line["idle_share_today"] <= 1
    assert abs(int(m.group(2)) - 100 * line["idle_share_today"]) <= 1
    # The state now, beside the line's name.
    expect(row.get_by_test_id("line-state")).to_have_text(re.compile("^(running|idle|fault|stopped)$"))
    # Workshops have no state point: their table has no idle column.
    assert page.locator("[data-testid=area-row] td[data-col=idle]").count() == 0
    assert page.locator("[data-testid=area-row]").count() > 0
