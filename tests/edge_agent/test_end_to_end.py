"""The example plant, a real Mosquitto and the agent: right values, units and seqs from every device."""

from __future__ import annotations

from pathlib import Path

from edge_agent.config_devices import DeviceConfig, ModbusPoint
from simulators.plant import PlantSpec, run_plant
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto
from tests.support.simulators import NOON

EXPECTED_UNITS = {
    ("main-meter", "active_power"): "kW",
    ("main-meter", "voltage_l1"): "V",
    ("line1-meter", "import_energy"): "kWh",
    ("pv-inverter", "temperature"): "degC",
    ("line2-meter", "current"): "A",
    ("line1-plc", "gas_total"): "Nm3",
    ("line2-plc", "production_count"): "units",
}


def resolution(device: DeviceConfig, point: str) -> float:
    """The step an integer register holds its value in (its scale); floats carry it exactly."""
    cfg = next(p for p in device.points if p.name == point)
    integer = isinstance(cfg, ModbusPoint) and cfg.type.startswith(("int", "uint"))
    return abs(cfg.scale) if integer else 0.0


async def test_every_device_publishes_decoded_values(
    broker: Mosquitto, collector: Collector, tmp_path: Path
) -> None:
    # A fixed daylight start: PV producing, line 1 running; the same values whatever the hour.
    async with run_plant(PlantSpec.example(), ports="free", speed=0, seed=1, start=NOON) as plant:
        assert plant.truth("pv-inverter", "pv_power") > 0 and plant.truth("line1-meter", "running") == 1
        cfg = config_for(plant, broker.url, tmp_path)
        async with running(cfg):
            names = [d.name for d in cfg.devices]
            await collector.wait_for(lambda: all(len(collector.telemetry[n]) >= 3 for n in names), 15)
        for name in names:
            msgs = collector.telemetry[name]
            seqs = [m.seq for m in msgs]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), name
            last = msgs[-1]
            assert not last.historical
            # Simulated time only drives values: source timestamps are real, not back-dated to noon.
            assert all(abs(p.ts - last.ts) < 5_000 for p in last.points), name
            dev = next(d for d in cfg.devices if d.name == name)
            assert {p.name for p in last.points} == {p.name for p in dev.points}, name
            for p in last.points:
                truth = plant.truth(name, p.name)
                tolerance = 1e-3 * max(1.0, abs(truth)) + 0.011 + resolution(dev, p.name) / 2
                assert abs(p.value - truth) <= tolerance, (
                    name,
                    p.name,
                    p.value,
                    truth,
                )
                if (name, p.name) in EXPECTED_UNITS:
                    assert p.unit == EXPECTED_UNITS[(name, p.name)]
