"""Line state through the API: the live items of lines with a state point, idle energy history."""

from __future__ import annotations

import httpx
import pytest

from tests.support.engine_setup import FedPlant

API = "/api/v1"
LINE = "plant1/assembly/line2"


async def test_live_items_carry_state_and_idle_energy_for_lines_only(client: httpx.AsyncClient) -> None:
    items = {i["path"]: i for i in (await client.get(f"{API}/live")).json()}
    line = items[LINE]
    assert line["state"] in ("running", "idle", "fault", "stopped", "unknown")
    assert line["idle_today_kwh"] >= 0 and 0 <= line["idle_share_today"] <= 1
    for path in ("plant1", "plant1/assembly"):
        assert (items[path]["state"], items[path]["idle_today_kwh"]) == (None, None)


async def test_idle_energy_history_sums_the_engine_windows(
    client: httpx.AsyncClient, plant: FedPlant
) -> None:
    windows = [w for w in plant.engine.results(LINE, "1m") if plant.start_ms <= w.start < plant.end_ms]
    start, end = windows[0].start, windows[-1].end
    params = {"node": LINE, "metric": "idle_energy_kwh", "start": start, "end": end, "interval": "1d"}
    r = await client.get(f"{API}/history", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "kWh" and body["agg"] == "sum"
    total = sum(p["value"] for p in body["points"])
    assert total == pytest.approx(sum(w.values["idle_energy_kwh"] for w in windows), abs=1e-9)
    energy = sum(w.values["energy_kwh"] for w in windows)
    assert 0 <= total <= energy
