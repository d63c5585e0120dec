"""The dashboard's Period page in Chromium: month and year to date show the API's figures,
in English and Chinese, and its printable report shows the report's digest."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page

from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from iiot_core.store import open_reader
from tests.carbon_engine.accounts.report_store import played_store
from tests.support.api_tokens import api_settings, auth, token
from tests.support.live_server import Feeder, LiveServer, live_server

TIMEOUT_MS = 60_000


@pytest.fixture
def server(tmp_path: Path, dashboard_assets: None) -> Iterator[LiveServer]:
    async def build() -> tuple[FastAPI, Feeder | None]:
        now = int(time.time())
        store = await played_store(tmp_path, now - 2 * 3600, 2 * 3600)
        app = create_app(api_settings(), store.engine, open_reader(store.url), plant_path=store.plant_path)
        return app, None

    with live_server(build) as s:
        yield s


def _signed_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("login-token").fill(token(Role.viewer))
    page.get_by_test_id("login-submit").click()


def _shown(page: Page, testid: str) -> float:
    return float(page.get_by_test_id(testid).get_attribute("data-value") or "nan")


def _text(page: Page, testid: str) -> float:
    return float(page.get_by_test_id(testid).inner_text().replace(",", ""))


def _check(page: Page, kind: str, report: dict[str, Any]) -> None:
    net = report["offsets"]["net"]
    inst = report["instruments"]
    gross = net["gross_t"] if net else report["emissions"]["gross_market_kg"] / 1000
    assert _shown(page, f"{kind}-gross") == gross
    assert abs(_text(page, f"{kind}-gross") - gross) <= 0.0005
    assert _shown(page, f"{kind}-res-annual") == inst["renewable_share_annual"]
    assert abs(_text(page, f"{kind}-res-annual") - inst["renewable_share_annual"] * 100) <= 0.05
    if inst["hourly_score"] is not None:
        assert _shown(page, f"{kind}-res-hourly") == inst["hourly_score"]
    if net:
        assert _shown(page, f"{kind}-net") == net["net_t"]
    for i, ind in enumerate(report["indicators"]):
        if ind["value"] is not None:
            assert _shown(page, f"{kind}-ind-{i}-value") == ind["value"]


@pytest.mark.timeout(240)
def test_period_page_shows_the_api_figures(server: LiveServer, page: Page) -> None:
    with httpx.Client(base_url=server.url, headers=auth(Role.viewer), timeout=120) as api:
        reports = {kind: api.get(f"/api/v1/reports/{kind}").json() for kind in ("month", "year")}
    _signed_in(page, f"{server.url}/static/period.html")
    for kind in ("month", "year"):
        page.wait_for_selector(f"[data-testid=period-{kind}][aria-busy=false]", timeout=TIMEOUT_MS)
        assert not page.get_by_test_id("banner").is_visible(), page.get_by_test_id("banner").inner_text()
        _check(page, kind, reports[kind])
    assert page.get_by_test_id("month-recompute").inner_text() == "recomputed = live"
    page.get_by_test_id("lang-switch").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "重算" in page.get_by_test_id("month-recompute").inner_text()
    _check(page, "month", reports["month"])
    page.get_by_test_id("month-printable").click()
    page.wait_for_selector("[data-testid=digest]", timeout=TIMEOUT_MS)
    assert page.get_by_test_id("digest").inner_text() == reports["month"]["digest"]["value"]
    assert page.get_by_test_id("title").inner_text().startswith("碳排放与能源信息披露报告")


def test_the_dashboard_links_the_period_page(server: LiveServer, page: Page) -> None:
    page.goto(f"{server.url}/dashboard/")
    assert page.get_by_test_id("period-link").get_attribute("href") == "/static/period.html"
