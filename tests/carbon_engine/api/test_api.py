"""The operator API over an engine and a SQLite store holding its results."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from carbon_engine.api import create_app
from carbon_engine.view import EngineView
from iiot_core.store import open_reader
from tests.support.api_tokens import api_settings, auth
from tests.support.engine_setup import FedPlant

API = "/api/v1"


async def test_tree_has_site_areas_and_lines(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/tree")
    assert r.status_code == 200
    nodes = {n["path"]: n for n in r.json()}
    assert nodes["plant1"]["level"] == "site"
    assert nodes["plant1/assembly"]["parent"] == "plant1"
    assert nodes["plant1/assembly/line1"]["level"] == "line"
    assert "plant1/assembly/line1" in nodes["plant1/assembly"]["children"]
    assert all(n["label_zh"] for n in nodes.values() if n["level"] != "meter")


async def test_live_has_every_node_with_live_numbers(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/live")
    assert r.status_code == 200
    live = {v["path"]: v for v in r.json()}
    site = live["plant1"]
    assert site["power_kw"] > 0
    assert site["intensity_location_kg_per_kwh"] > 0
    assert site["energy_today_kwh"] > 0
    assert 0 <= site["renewable_share"] <= 1
    line1 = live["plant1/assembly/line1"]
    assert line1["intensity_kg_per_unit"] is not None and line1["intensity_kg_per_unit"] > 0
    assert site["emissions_location_kg_per_h"] > site["emissions_market_kg_per_h"] > 0
    assert site["carriers_today"]["natural_gas_nm3"] > 0 and site["carriers_today"]["steam_t"] > 0
    # Gas and steam count in the whole-energy intensity, not in the electricity one.
    assert site["intensity_electricity_location_kg_per_kwh"] != site["intensity_location_kg_per_kwh"]
    assert sum(site["renewable_parts"].values()) == pytest.approx(site["renewable_share"])
    # A node without production has no per-unit figures: null in the JSON, never 0.
    assert live["plant1/_unassigned"]["intensity_kg_per_unit"] is None
    one = await client.get(f"{API}/live", params={"node": "plant1/assembly/line1"})
    assert [v["path"] for v in one.json()] == ["plant1/assembly/line1"]


async def test_unknown_node_is_404_naming_it(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/live", params={"node": "plant9/nowhere"})
    assert r.status_code == 404
    assert "plant9/nowhere" in r.json()["detail"]


async def test_history_reads_engine_results_from_the_store(
    client: httpx.AsyncClient, plant: FedPlant
) -> None:
    params = {
        "node": "plant1/assembly/line1",
        "metric": "power_kw",
        "start": plant.start_ms,
        "end": plant.end_ms,
        "interval": "15m",
    }
    r = await client.get(f"{API}/history", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "kW" and body["agg"] == "mean" and body["interval_s"] == 900
    assert 4 <= len(body["points"]) <= 5
    assert all(p["value"] > 0 for p in body["points"])
    # Buckets start at the range's start, wherever it falls (not at the epoch's quarters).
    assert body["bucket_origin"] == plant.start_ms
    assert [(p["ts"] - plant.start_ms) % 900_000 for p in body["points"]] == [0] * len(body["points"])
    # Energy per window adds up over an interval; power averages.
    energy = await client.get(f"{API}/history", params={**params, "metric": "energy_kwh", "interval": "1h"})
    per_minute = await client.get(f"{API}/history", params={**params, "metric": "energy_kwh"})
    total_hourly = sum(p["value"] for p in energy.json()["points"])
    total_minutes = sum(p["value"] for p in per_minute.json()["points"])
    assert energy.json()["agg"] == "sum"
    assert total_hourly == pytest.approx(total_minutes)


async def test_history_of_site_and_area_roll_ups(client: httpx.AsyncClient, plant: FedPlant) -> None:
    for node in ("plant1", "plant1/assembly"):
        r = await client.get(
            f"{API}/history",
            params={"node": node, "metric": "power_kw", "start": plant.start_ms, "end": plant.end_ms},
        )
        assert r.status_code == 200 and r.json()["points"], (node, r.text)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, 422, "end must be after start"),
        ({"interval": "5 minutes"}, 422, "interval"),
        ({"interval": "0m"}, 422, "interval"),
        ({"interval": "40d"}, 422, "31d"),
        ({"interval": "1s", "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}, 422, "points"),
        ({"metric": "bogus"}, 422, "metric"),
        ({"node": "plant1/nope"}, 404, "plant1/nope"),
        ({"start": "yesterday"}, 422, "start"),
    ],
)
async def test_history_rejects_bad_queries_with_a_message(
    client: httpx.AsyncClient, params: dict[str, str], status: int, words: str
) -> None:
    base = {"node": "plant1/assembly/line1", "metric": "power_kw"}
    r = await client.get(f"{API}/history", params={**base, **params})
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


async def test_history_without_a_store_is_503(view: EngineView) -> None:
    app = create_app(api_settings(), view, None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth()
    ) as c:
        r = await c.get(f"{API}/history", params={"node": "plant1", "metric": "power_kw"})
        assert r.status_code == 503
        assert "store" in r.json()["detail"]
        health = (await c.get("/health")).json()
        assert health["store"] == "not_configured" and health["status"] == "ok"


async def test_alerts_filter_and_acknowledge(client: httpx.AsyncClient) -> None:
    alerts = (await client.get(f"{API}/alerts")).json()
    assert alerts, "the fed engine should have raised at least one alert"
    raised = [a for a in alerts if a["state"] == "raised"]
    target = raised[0]
    by_sev = (await client.get(f"{API}/alerts", params={"severity": target["severity"]})).json()
    assert target["id"] in {a["id"] for a in by_sev}
    assert all(a["severity"] == target["severity"] for a in by_sev)
    by_node = (await client.get(f"{API}/alerts", params={"node": target["node"]})).json()
    assert target["id"] in {a["id"] for a in by_node}

    r = await client.post(f"{API}/alerts/{target['id']}/ack", json={"by": "王工"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "acknowledged" and r.json()["acked_by"] == "王工"
    acked = (await client.get(f"{API}/alerts", params={"state": "acknowledged"})).json()
    assert target["id"] in {a["id"] for a in acked}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (f"{API}/alerts/no-such-alert/ack", None, 404),
        (f"{API}/alerts/x/ack", {"by": ""}, 422),
        (f"{API}/alerts/x/ack", {"who": "me"}, 422),
        (f"{API}/alerts/x/ack", [1, 2], 422),
    ],
)
async def test_ack_errors_are_4xx_with_a_message(
    client: httpx.AsyncClient, path: str, body: object, status: int
) -> None:
    r = await client.post(path, json=body) if body is not None else await client.post(path)
    assert r.status_code == status
    assert r.json()["detail"]


async def test_bad_filters_are_422(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/alerts", params={"state": "open"})
    assert r.status_code == 422
    assert "query.state" in r.json()["detail"]


async def test_factors_and_devices(client: httpx.AsyncClient) -> None:
    factors = (await client.get(f"{API}/factors")).json()
    assert any(f["unit"].startswith("kgCO2") and f["source"] for f in factors)
    devices = (await client.get(f"{API}/devices")).json()
    assert devices and {d["state"] for d in devices} <= {"online", "offline", "unknown"}


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    health = (await client.get("/health")).json()
    assert health == health | {"status": "ok", "store": "ok"}
    await client.get(f"{API}/tree")
    text = (await client.get("/metrics")).text
    assert 'zcf_api_requests_total{method="GET",route="/api/v1/tree",status="200"} 1' in text
    assert "zcf_api_sse_clients 0" in text
    assert 'zcf_api_engine_events_total{kind="live"}' in text


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/tree",
        "/live",
        "/history",
        "/alerts",
        "/alerts/{alert_id}/ack",
        "/factors",
        "/devices",
        "/stream",
    ):
        assert f"{API}{path}" in spec["paths"], path
    assert "/health" in spec["paths"] and "/metrics" in spec["paths"]


async def test_history_of_a_meter(client: httpx.AsyncClient, plant: FedPlant) -> None:
    r = await client.get(
        f"{API}/history",
        params={
            "node": "plant1/assembly/line1/line1-elec",
            "metric": "energy_kwh",
            "start": plant.start_ms,
            "end": plant.end_ms,
            "interval": "10m",
        },
    )
    assert r.status_code == 200, r.text
    points = r.json()["points"]
    assert points and all(p["value"] > 0 for p in points)


async def test_history_matches_the_engine_results(client: httpx.AsyncClient, plant: FedPlant) -> None:
    node = "plant1/assembly/line2"
    window = [w for w in plant.engine.results(node, "1m") if w.start >= plant.start_ms][-3]
    r = await client.get(
        f"{API}/history",
        params={"node": node, "metric": "scope1_kg", "start": window.start, "end": window.end},
    )
    assert r.json()["points"] == [{"ts": window.start, "value": pytest.approx(window.values["scope1_kg"])}]


async def test_store_down_gives_503_and_degraded_health(view: EngineView, tmp_path: Path) -> None:
    reader = open_reader(f"sqlite:///{tmp_path / 'missing' / 'store.db'}")
    app = create_app(api_settings(), view, reader)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth()
    ) as c:
        r = await c.get(f"{API}/history", params={"node": "plant1", "metric": "power_kw"})
        assert r.status_code == 503
        assert "store" in r.json()["detail"]
        assert (await c.get("/health")).json()["status"] == "degraded"
    await reader.close()


async def test_ack_with_a_malformed_body_says_it_is_not_json(client: httpx.AsyncClient) -> None:
    alert_id = (await client.get(f"{API}/alerts")).json()[0]["id"]
    r = await client.post(
        f"{API}/alerts/{alert_id}/ack", content=b'{"by": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("body: not valid JSON at character 7"), r.text


@pytest.mark.parametrize(("metric", "unit"), [("natural_gas_nm3", "Nm3"), ("steam_t", "t")])
async def test_history_of_a_carrier_aligned_to_start(
    client: httpx.AsyncClient, plant: FedPlant, metric: str, unit: str
) -> None:
    node = "plant1/assembly/line2"
    minutes = [w for w in plant.engine.results(node, "1m") if metric in w.values]
    start = minutes[0].start + 7 * 60_000  # 7 minutes past a quarter: not a 15 m boundary
    end = minutes[-1].end
    r = await client.get(
        f"{API}/history",
        params={"node": node, "metric": metric, "start": start, "end": end, "interval": "15m"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == unit and body["agg"] == "sum" and body["bucket_origin"] == start
    got = [(p["ts"], p["value"]) for p in body["points"]]
    # Each bucket is the sum of the engine's minutes in [start + k x 15 m, start + (k + 1) x 15 m).
    want: dict[int, float] = {}
    for w in minutes:
        if start <= w.start < end:
            b = start + (w.start - start) // 900_000 * 900_000
            want[b] = want.get(b, 0.0) + w.values[metric]
    assert [ts for ts, _ in got] == sorted(want) and len(got) >= 2
    assert [v for _, v in got] == pytest.approx([want[ts] for ts, _ in got])
    assert all(v > 0 for _, v in got)
