"""The lines table shows each line's idle energy today and its state, as the API gives them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from iiot_core.store import open_reader
from tests.support.api_tokens import api_settings, auth, token
from tests.support.engine_setup import feed_plant, live_feeder
from tests.support.live_server import Feeder, LiveServer, live_server

TIMEOUT_MS = 10_000
CELL = re.compile(r"^([\d,]+\.\d) \((\d+) %\)$")


@pytest.fixture
def server(tmp_path: Path, dashboard_assets: None) -> Iterator[LiveServer]:
    async def build() -> tuple[FastAPI, Feeder | None]:
        plant = await feed_plant(tmp_path / "store.db")
        app = create_app(api_settings(), plant.view, open_reader(plant.store_url))
        return app, live_feeder(plant)

    with live_server(build) as s:
        yield s


def test_lines_table_shows_idle_energy_and_state(server: LiveServer, page: Page) -> None:
    page.add_init_script(f"sessionStorage.setItem('zcf.token', {token(Role.viewer)!r})")
    page.goto(f"{server.url}/dashboard/", timeout=TIMEOUT_MS)
    row = page.locator("[data-testid=line-row][data-path='plant1/assembly/line1']")
    cell = row.locator("td[data-col=idle]")
    expect(cell).to_have_text(CELL, timeout=TIMEOUT_MS)
    live = httpx.get(f"{server.url}/api/v1/live", headers=auth()).json()
    line = next(v for v in live if v["path"] == "plant1/assembly/line1")
    m = CELL.match(cell.inner_text())
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
