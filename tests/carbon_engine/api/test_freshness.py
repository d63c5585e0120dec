"""Freshness of live values (as-of time, age, stale) and of device quality, through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from carbon_engine.api import create_app
from carbon_engine.engine import Engine
from carbon_engine.freshness import MIN_STALE_S
from iiot_core import topics
from iiot_core.model import SCHEMA_VERSION, DeviceStatus
from tests.support.api_tokens import api_settings, auth
from tests.support.engine_setup import FedPlant, feed_messages, feed_plant, plant_variant
from tests.support.plant_feed import ASSETS, SITE

API = "/api/v1"
LINE1, LINE2 = f"{SITE}/assembly/line1", f"{SITE}/assembly/line2"
LINE1_DEVICES = {d for d, (_, line) in ASSETS.items() if line == "line1"}


@dataclass
class Fed:
    plant: FedPlant
    client: httpx.AsyncClient

    async def live(self) -> dict[str, dict[str, object]]:
        r = await self.client.get(f"{API}/live")
        assert r.status_code == 200
        return {v["path"]: v for v in r.json()}


@pytest.fixture
async def fed(tmp_path: Path) -> AsyncIterator[Fed]:
    plant = await feed_plant(tmp_path / "store.db", minutes=3)
    app = create_app(api_settings(), plant.view, None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test", headers=auth()) as c:
        yield Fed(plant, c)


async def test_fresh_data_is_not_stale_then_the_clock_moves_past_the_limit(fed: Fed) -> None:
    live = await fed.live()
    site = live[SITE]
    assert site["stale"] is False and site["stale_after_s"] == MIN_STALE_S
    assert site["age_s"] is not None and 0 <= site["age_s"] <= MIN_STALE_S
    assert site["ts"] == fed.plant.engine.max_ts
    later = fed.plant.end_ms + int((MIN_STALE_S + 1) * 1000)
    fed.plant.engine.advance(later)
    for v in (await fed.live()).values():
        assert v["stale"] is True, v["path"]
        assert v["age_s"] == pytest.approx((later - v["ts"]) / 1000)  # type: ignore[operator]
        assert v["age_s"] > v["stale_after_s"]  # type: ignore[operator]


async def test_a_line_whose_meters_stop_goes_stale_alone(fed: Fed) -> None:
    """Per node, the as-of time is the newest sample of its own meters, not the site's."""
    engine, feed = fed.plant.engine, fed.plant.feed
    t = fed.plant.end_ms / 1000
    newest_line1 = 0
    for _ in range(8):  # 40 s with only line 1 reporting
        t += 5
        msgs = [m for m in feed.messages(t) if m.device in LINE1_DEVICES]
        feed_messages(engine, msgs, int(t * 1000))
        newest_line1 = max(m.ts for m in msgs)
        engine.advance(int(t * 1000))
    live = await fed.live()
    assert live[LINE1]["ts"] == newest_line1 and live[LINE1]["stale"] is False
    assert live[LINE2]["ts"] <= fed.plant.end_ms and live[LINE2]["stale"] is True
    assert live[LINE2]["age_s"] > MIN_STALE_S  # type: ignore[operator]
    assert live[SITE]["stale"] is False  # line 1's meters are behind the site too


async def test_an_offline_device_shows_quality_unknown(fed: Fed) -> None:
    before = {d["device"]: d for d in (await fed.client.get(f"{API}/devices")).json()}
    assert before["line2-plc"]["quality"] == "good" and before["line2-plc"]["state"] == "online"
    now = fed.plant.end_ms
    area, line = ASSETS["line2-plc"]
    status = DeviceStatus(SCHEMA_VERSION, "offline", now, "no response", now)
    fed.plant.engine.status(topics.device_status(SITE, area, line, "line2-plc"), status)
    after = {d["device"]: d for d in (await fed.client.get(f"{API}/devices")).json()}
    assert after["line2-plc"]["state"] == "offline" and after["line2-plc"]["quality"] == "unknown"
    assert after["line1-plc"]["quality"] == before["line1-plc"]["quality"]


def test_stale_limit_follows_the_slowest_poll_interval_under_each_node(tmp_path: Path) -> None:
    engine = Engine.from_file(plant_variant(tmp_path, meter="line2-gas", meter_line="poll_interval_s = 25"))
    limits = {v.path: v.stale_after_s for v in engine.live()}
    assert limits[LINE2] == 75 and limits[f"{SITE}/assembly"] == 75 and limits[SITE] == 75
    assert limits[LINE1] == MIN_STALE_S
    assert limits[f"{SITE}/assembly/line2/line2-gas"] == 75


def test_stale_after_s_overrides_every_node(tmp_path: Path) -> None:
    engine = Engine.from_file(
        plant_variant(tmp_path, "stale_after_s = 4", meter="line2-gas", meter_line="poll_interval_s = 25")
    )
    assert {v.stale_after_s for v in engine.live()} == {4.0}
    assert all(v.stale and v.age_s is None for v in engine.live())  # no sample yet
