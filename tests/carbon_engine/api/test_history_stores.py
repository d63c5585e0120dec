"""History through the API answers the same buckets from SQLite and from a real InfluxDB 1.6."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from carbon_engine.api import create_app
from iiot_core.store import open_reader
from tests.support.api_tokens import api_settings, auth
from tests.support.engine_setup import feed_plant
from tests.support.servers import Influxd

API = "/api/v1"


async def _history(url: str, view: object, params: dict[str, object]) -> dict[str, object]:
    reader = open_reader(url)
    app = create_app(api_settings(), view, reader)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth()
        ) as c:
            r = await c.get(f"{API}/history", params=params)
            assert r.status_code == 200, r.text
            body: dict[str, object] = r.json()
            return body
    finally:
        await reader.close()


async def test_carrier_history_aligned_to_start_is_the_same_on_sqlite_and_influxdb(
    tmp_path: Path, influx: Influxd
) -> None:
    plant = await feed_plant(tmp_path / "store.db", minutes=40, also=(influx.store_url(),))
    node = "plant1/assembly/line1"
    minutes = [w for w in plant.engine.results(node, "1m") if "natural_gas_nm3" in w.values]
    start = minutes[0].start + 3 * 60_000 + 20_000  # off every minute and quarter
    params = {
        "node": node,
        "metric": "natural_gas_nm3",
        "start": start,
        "end": minutes[-1].end,
        "interval": "10m",
    }
    lite = await _history(plant.store_url, plant.view, params)
    flux = await _history(influx.store_url(), plant.view, params)
    assert lite["bucket_origin"] == flux["bucket_origin"] == start
    lp, fp = lite["points"], flux["points"]
    assert isinstance(lp, list) and isinstance(fp, list) and len(lp) >= 3
    assert [p["ts"] for p in fp] == [p["ts"] for p in lp] == [start + k * 600_000 for k in range(len(lp))]
    assert [p["value"] for p in fp] == pytest.approx([p["value"] for p in lp], rel=1e-12)
