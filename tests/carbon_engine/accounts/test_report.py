"""build_report over a store the example plant ran into: schema, digest, figures, recompute."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest

from carbon_engine.accounts.render.canonical import verify
from carbon_engine.accounts.render.schema import schema_errors
from carbon_engine.accounts.report import build_report
from iiot_core.store import open_reader
from tests.carbon_engine.accounts.plant_run import EXAMPLE
from tests.carbon_engine.accounts.report_store import PlayedStore, configured_plant, played_store
from tests.carbon_engine.helpers import ms

START_S = ms("2026-11-18T02:00:05Z") // 1000  # 10:00 in Shanghai: the lines run, PV generates
SECONDS = 3 * 3600
RESIDUAL = 0.6096  # kgCO2/kWh, cn-grid-residual-2023 (the library's market-based residual mix)


async def _report(store: PlayedStore, plant: Path, as_of_ms: int | None = None) -> dict[str, Any]:
    reader = open_reader(store.url)
    as_of = store.end_ms if as_of_ms is None else as_of_ms
    try:
        return await build_report(plant, reader, "2026-11", as_of_ms=as_of, now_ms=store.end_ms + 60_000)
    finally:
        await reader.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PlayedStore:
    return asyncio.run(played_store(tmp_path_factory.mktemp("store"), START_S, SECONDS))


@pytest.mark.timeout(120)
async def test_report_of_the_example_plant(store: PlayedStore) -> None:
    report = await _report(store, EXAMPLE)
    assert schema_errors(report) == []
    assert verify(report)
    head = report["report"]
    assert head["id"] == "plant1-2026-11" and head["period"]["to_date"] is True
    # The example plant configures a line's product footprint: Type II.
    assert head["boundary"]["type"] == "II"
    assert [f["node"] for f in report["footprints"]] == ["assembly/line1"]
    assert {f["id"] for f in head["factors"]} >= {"cn-grid-east-2023", "cn-grid-residual-2023"}
    # Every additive period figure is the sum of the live engine's hours.
    live = [r for r in store.engine.results("plant1", "1h") if r.start < store.end_ms]
    site = next(n for n in report["nodes"] if n["path"] == "plant1")["totals"]
    for point in ("energy_kwh", "electricity_kwh", "scope1_kg", "scope2_location_kg", "units"):
        assert math.isclose(site[point], sum(r.values[point] for r in live), rel_tol=1e-9), point
    rc = report["recompute"]
    assert rc["equal"] is True, rc["max_diff_at"]
    closed = [r for r in live if r.end <= store.end_ms]
    assert rc["live_hours"] == rc["recomputed_hours"] == len(closed) == 3
    assert rc["running_hours"] == 0
    assert rc["hourly"]["values_compared"] > 100 and rc["hourly"]["only_live"] == []
    # Market-based Scope 2 of the period: its electricity part never below zero, never above the
    # grid import x the residual mix (purchased steam counts the same in both methods).
    em = report["emissions"]
    rows = {r["id"]: r for r in em["rows"]}
    grid = report["energy"]["electricity"]["grid_import_kwh"]
    electricity_part = rows["scope2_market"]["kg"] - em["scope2_heat_kg"]
    assert 0 <= electricity_part <= em["grid_residual_kg"] + 1e-6
    assert em["grid_residual_kg"] == pytest.approx(grid * RESIDUAL, rel=1e-9)
    assert rows["scope2_market_estimate"]["basis"] == "estimate"
    # No base year or offsets ledger configured: the report says so instead of failing.
    keys = {m["key"] for m in report["missing"]}
    assert {"accounts.base_year", "accounts.offsets.file"} <= keys
    by_id = {i["id"]: i for i in report["indicators"]}
    assert by_id["reduction_t"]["value"] is None and "base year" in by_id["reduction_t"]["missing"]
    # The example's target set is Hunan's 2027 one: renewable share at least 35 %.
    share = by_id["renewable_share_energy"]
    assert share["target"] == 0.35 and share["comparison"] == "min"
    assert share["passed"] == (share["value"] >= 0.35)
    # The store holds 3 hours of November up to the as-of time: good data covers that share.
    grid_meter = next(m for m in report["data_quality"]["meters"] if m["meter"] == "grid")
    covered = (store.end_ms - store.start_ms) / (store.end_ms - head["period"]["start_ms"])
    assert grid_meter["good_share"] == pytest.approx(covered, rel=0.01)
    assert grid_meter["device"] == "main-meter" and grid_meter["samples"] > 0


@pytest.mark.timeout(120)
async def test_the_running_hour_is_in_the_figures_not_in_the_comparison(store: PlayedStore) -> None:
    report = await _report(store, EXAMPLE, as_of_ms=store.end_ms - 1800_000)
    rc = report["recompute"]
    assert (rc["live_hours"], rc["recomputed_hours"], rc["running_hours"]) == (2, 2, 1)
    assert rc["equal"] is True
    assert len({n["path"] for n in report["nodes"]}) == len(report["nodes"])


@pytest.mark.timeout(120)
async def test_configured_accounts_fill_targets_and_offsets(store: PlayedStore, tmp_path: Path) -> None:
    plant = configured_plant(tmp_path)
    report = await _report(store, plant)
    assert schema_errors(report) == []
    keys = {m["key"] for m in report["missing"]}
    assert not keys & {"accounts.base_year", "accounts.target_set", "accounts.offsets.file"}
    assert report["report"]["plant_file"]["name"] == "plant.toml"
    by_id = {i["id"]: i for i in report["indicators"]}
    share = by_id["renewable_share_electricity"]
    assert share["target"] == 0.35 and share["comparison"] == "min"
    assert share["passed"] == (share["value"] >= 0.35)
    assert share["value"] == report["instruments"]["renewable_share_annual"]
    # One offset of 10 t retired against November, more than the 3 hours' gross emissions (about
    # 4 t): net is 0, yet the month is not called zero carbon, and the report says which rule failed.
    [entry] = report["offsets"]["entries"]
    assert entry["serial"] == "VCS-9999-2024-0000001-0003500" and entry["period"] == "2026-11"
    net = report["offsets"]["net"]
    assert net["offsets_t"] == 10.0
    assert net["gross_t"] < 10.0 and net["net_t"] == 0
    assert net["zero_carbon"] is False and "exceeds_residual" in net["failed_rules"]
