"""A merged Modbus read over registers the device does not implement: split, not failing."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from simulators.plant import PlantSpec, run_plant
from simulators.register_maps import MAIN_METER, ModbusServerSpec
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto
from tests.support.simulators import NOON

# Implemented: 0-11 (voltages, currents), 52-53 (power), 72-79 (energy and spare).
GAPPY_METER = dataclasses.replace(MAIN_METER, holes=((12, 40), (54, 18)))


async def test_merged_read_over_a_hole_falls_back_to_one_read_per_point(
    broker: Mosquitto, collector: Collector, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="edge_agent")
    server = ModbusServerSpec("gappy-meter", 0, "socket", (GAPPY_METER,))
    spec = dataclasses.replace(PlantSpec.example(), modbus=(server,), opcua=())
    async with run_plant(spec, ports="free", speed=0, start=NOON) as plant:
        # max_gap 60 merges every point into one read of input registers 0-73, over both holes.
        overrides = {"main-meter": {"max_gap": 60}}
        cfg = config_for(
            plant, broker.url, tmp_path, only={"main-meter"}, poll_s=0.1, device_overrides=overrides
        )
        async with running(cfg) as agent:
            await collector.wait_for(lambda: len(collector.telemetry["main-meter"]) >= 5)
            health = agent.health["main-meter"]
            assert health.online is True and health.failures == 0
        names = {f.point for f in GAPPY_METER.fields}
        for msg in collector.telemetry["main-meter"]:
            assert {p.name for p in msg.points} == names
        for p in collector.telemetry["main-meter"][-1].points:
            truth = plant.truth("main-meter", p.name)
            assert p.value == pytest.approx(truth, rel=1e-6, abs=1e-6), p.name
    # The device never looked offline, and the split was logged once, naming device and range.
    assert {s.state for s in collector.status["main-meter"][:-1]} == {"online"}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("edge_agent")]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "main-meter" in warnings[0].getMessage() and "input 0-73" in warnings[0].getMessage()
