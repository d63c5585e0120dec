"""The dashboard tells stale data from live: devices stop, values grey out and the badge changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from tests.support.api_tokens import api_settings, token
from tests.support.engine_setup import feed_plant, live_feeder, plant_variant
from tests.support.live_server import Feeder, LiveServer, live_server

STALE_AFTER_S = 3.0
TIMEOUT_MS = 10_000


@pytest.fixture
def stopped() -> threading.Event:
    return threading.Event()


@pytest.fixture
def server(tmp_path: Path, dashboard_assets: None, stopped: threading.Event) -> Iterator[LiveServer]:
    plant_file = plant_variant(tmp_path, f"stale_after_s = {STALE_AFTER_S}")

    async def build() -> tuple[FastAPI, Feeder | None]:
        plant = await feed_plant(tmp_path / "store.db", minutes=5, plant_file=plant_file)
        return create_app(api_settings(), plant.view, None), live_feeder(plant, 0.25, stopped)

    with live_server(build) as s:
        yield s


def test_values_turn_stale_and_the_badge_changes_when_devices_stop(
    server: LiveServer, page: Page, stopped: threading.Event, artifacts: Path
) -> None:
    page.add_init_script(f"sessionStorage.setItem('zcf.token', {token(Role.viewer)!r})")
    page.goto(f"{server.url}/", timeout=TIMEOUT_MS)
    badge, site_asof = page.get_by_test_id("conn"), page.get_by_test_id("site-asof")
    expect(badge).to_have_text("live", timeout=TIMEOUT_MS)
    expect(site_asof).to_contain_text("as of")
    expect(site_asof.get_by_test_id("stale-tag")).to_have_count(0)
    line = page.locator("[data-testid=line-row][data-path='plant1/assembly/line1']")
    expect(line).to_have_attribute("data-stale", "false")

    stopped.set()
    since = time.monotonic()
    expect(badge).to_have_text("stale", timeout=TIMEOUT_MS)
    took = time.monotonic() - since
    # Within the configured age, plus a tick of the feeder and one of the page's clock.
    assert took <= STALE_AFTER_S + 2.0, f"badge turned stale after {took:.1f} s"
    expect(site_asof.get_by_test_id("stale-tag")).to_have_text("stale")
    expect(page.locator("#c-site")).to_have_class("card kpis stale")
    expect(line).to_have_attribute("data-stale", "true")
    expect(line.get_by_test_id("stale-tag")).to_be_visible()
    page.screenshot(path=str(artifacts / "dashboard-stale.png"), full_page=True)

    page.get_by_test_id("lang-switch").click()
    expect(badge).to_have_text("数据过期")
    expect(site_asof).to_contain_text("截至")
    expect(line.get_by_test_id("stale-tag")).to_have_text("已过期")
