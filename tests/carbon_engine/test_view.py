"""The EngineView side: tree, live values, factors, devices, events, and the on-site policy."""

from __future__ import annotations

import asyncio
from pathlib import Path

from carbon_engine.engine import Engine
from carbon_engine.view import EngineView
from iiot_core import topics
from iiot_core.model import SCHEMA_VERSION, DeviceStatus
from tests.carbon_engine.helpers import feed, find, ms, read_lines, telemetry

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"
PV_CASE = Path(__file__).parent / "golden" / "pv_self_consumption"


def test_tree_factors_and_devices() -> None:
    e: EngineView = Engine.from_file(EXAMPLE)
    tree = {n.path: n for n in e.tree()}
    assert tree["plant1"].level == "site" and tree["plant1"].parent is None
    assert "plant1/_unassigned" in tree["plant1"].children
    assert tree["plant1/assembly"].children[:2] == ("plant1/assembly/line1", "plant1/assembly/line2")
    assert "plant1/assembly/line1/line1-elec" in tree["plant1/assembly/line1"].children
    assert tree["plant1/assembly"].label_zh == "总装车间"
    kinds = {f.kind for f in e.factors()}
    assert {"location", "residual_mix", "combustion", "heat", "footprint"} <= kinds
    gas = next(f for f in e.factors() if f.id == "natural-gas-combustion")
    assert gas.parameters["oxidation"] == 0.99 and abs(gas.value - 2.1622) < 1e-3
    assert {d.device for d in e.devices()} >= {"main-meter", "line1-plc", "pv-inverter"}
    assert all(v.power_kw == 0 for v in e.live())


def test_live_values_and_today() -> None:
    e = Engine.from_file(PV_CASE / "plant.toml")
    feed(e, read_lines(PV_CASE / "input.jsonl"), flush=False)
    site = next(v for v in e.live() if v.path == "plant1")
    assert abs(site.power_kw - 600) < 1e-6  # 6 kWh grid + 4 kWh PV per minute
    assert abs(site.energy_today_kwh - 20) < 1e-6 and abs(site.renewable_share - 0.4) < 1e-9
    assert site.units_today is None and site.intensity_kg_per_unit is None
    assert "cn-grid-east-2023@2023" in site.factor_versions


def test_live_emitting_now_carriers_and_undefined_values() -> None:
    """Worked by hand in golden/pv_self_consumption/README.md: 330 kg/h, 219.456 kg/h, 0.55."""
    e = Engine.from_file(PV_CASE / "plant.toml")
    feed(e, read_lines(PV_CASE / "input.jsonl"), flush=False)
    live = {v.path: v for v in e.live()}
    site, pv = live["plant1"], live["plant1/utilities/pv"]
    assert abs(site.emissions_location_kg_per_h - 330) < 1e-6
    assert abs(site.emissions_market_kg_per_h - 219.456) < 1e-6
    assert abs(site.emissions_today_location_kg - site.scope1_today_kg - site.scope2_location_today_kg) < 1e-9
    assert site.intensity_electricity_location_kg_per_kwh == 0.55
    assert site.carriers_today == {"electricity_kwh": site.energy_today_kwh}
    assert site.renewable_parts == {"onsite": 0.4, "gec": 0.0, "ppa": 0.0, "green_power_trading": 0.0}
    # The PV line used no energy: its intensities and share are undefined, not 0.
    assert pv.intensity_location_kg_per_kwh is None and pv.intensity_market_kg_per_kwh is None
    assert pv.intensity_electricity_location_kg_per_kwh is None and pv.renewable_share is None
    assert pv.emissions_location_kg_per_h == 0 and pv.renewable_parts == {}
    assert next(n for n in e.tree() if n.level == "site").timezone == "Asia/Shanghai"


def test_onsite_zero_policy(tmp_path: Path) -> None:
    plant = tmp_path / "plant.toml"
    plant.write_text(
        (PV_CASE / "plant.toml")
        .read_text()
        .replace('grid_region = "east"', 'grid_region = "east"\nonsite_location_based = "zero"')
    )
    e = Engine.from_file(plant)
    feed(e, read_lines(PV_CASE / "input.jsonl"))
    r = find(e, "plant1", "1m", ms("2024-03-01T02:00:00Z"))
    assert r is not None
    assert abs(r.values["scope2_location_kg"] - 6 * 0.55) < 1e-9
    assert abs(r.values["scope2_market_kg"] - 6 * 0.6096) < 1e-9


async def test_events_stream_alerts_and_live() -> None:
    e = Engine.from_file(EXAMPLE)
    events = e.events()
    got: list[str] = []

    async def consume() -> None:
        async for ev in events:
            got.append(ev.kind)
            if "alert" in got and "live" in got:
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    t = ms("2026-03-02T02:00:00Z")
    e.ingest(telemetry("main-meter", t, {"import_energy": 1.0}))
    e.status(
        topics.device_status("plant1", "u", "i", "line1-plc"),
        DeviceStatus(schema=SCHEMA_VERSION, state="offline", ts=t),
    )
    e.advance(t)
    await asyncio.wait_for(task, 5)
    assert {"alert", "live"} <= set(got)
