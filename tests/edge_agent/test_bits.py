"""Coils and discrete inputs from a real Modbus server, through the agent and Mosquitto."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.plant import PlantSpec, run_plant
from simulators.profiles import LINE1
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto
from tests.support.simulators import NOON, first_fault_after

BITS = ("breaker_closed", "running", "fault_alarm")
EXPECTED = {"running": (1.0, 1.0, 0.0), "faulted": (1.0, 0.0, 1.0)}


@pytest.mark.parametrize("line", ["running", "faulted"])
async def test_line_meter_bits_are_published_as_0_or_1(
    broker: Mosquitto, collector: Collector, tmp_path: Path, line: str
) -> None:
    start = NOON if line == "running" else first_fault_after(NOON, LINE1)
    only = {"line1-meter"}
    async with run_plant(PlantSpec.example(), ports="free", speed=0, start=start, only=only) as plant:
        cfg = config_for(plant, broker.url, tmp_path, only=only)
        async with running(cfg):
            await collector.wait_for(lambda: len(collector.telemetry["line1-meter"]) >= 2)
        truth = tuple(plant.truth("line1-meter", b) for b in BITS)
    assert truth == EXPECTED[line]  # the scenario, not the agent, decides what the bits say
    for msg in collector.telemetry["line1-meter"]:
        points = {p.name: p for p in msg.points}
        assert tuple(points[b].value for b in BITS) == truth
        assert {points[b].quality.value for b in BITS} == {"good"}
        assert points["active_power"].value > 0  # registers still read alongside the bits
