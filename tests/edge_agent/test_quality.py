"""OPC UA status codes and staleness -> quality flags: the driver's mapping, then a real PLC."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from asyncua import ua

from edge_agent.config_devices import OpcuaDevice
from edge_agent.drivers.base import DriverContext
from edge_agent.drivers.opcua import OpcuaDriver, number_of, quality_of
from iiot_core.model import Quality, Telemetry
from simulators.plant import PlantSpec, run_plant
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto
from tests.support.simulators import NOON


def test_status_code_mapping() -> None:
    assert quality_of(None) is Quality.GOOD
    assert quality_of(ua.StatusCode(ua.StatusCodes.Good)) is Quality.GOOD
    assert quality_of(ua.StatusCode(ua.StatusCodes.UncertainLastUsableValue)) is Quality.ESTIMATED
    assert quality_of(ua.StatusCode(ua.StatusCodes.BadSensorFailure)) is Quality.BAD


def test_numbers() -> None:
    assert number_of(ua.Variant(True)) == 1.0
    assert number_of(ua.Variant(7, ua.VariantType.UInt32)) == 7.0
    assert number_of(ua.Variant(float("nan"))) is None
    assert number_of(ua.Variant("text")) is None


def _driver() -> OpcuaDriver:
    dev = OpcuaDevice.model_validate(
        {
            "kind": "opcua", "name": "plc", "area": "a", "line": "l",
            "endpoint": "opc.tcp://127.0.0.1:1", "poll_interval_s": 1,
            "points": [
                {"name": "flow", "node_id": "ns=2;s=Flow", "scale": 2.0, "unit": "t/h"},
                {"name": "state", "node_id": "ns=2;i=7"},
                {"name": "broken", "node_id": "ns=2;s=Broken"},
            ],
        }
    )  # fmt: skip
    drv = OpcuaDriver(dev, DriverContext("edge1"))
    drv._by_node = {f"ns=2;{p.node_id.split(';')[1]}": p for p in dev.points}
    return drv


def test_points_quality_stale_and_no_nan() -> None:
    drv = _driver()
    ts = datetime(2026, 1, 1, tzinfo=UTC)
    drv.on_change("ns=2;s=Flow", ua.DataValue(ua.Variant(1.5), SourceTimestamp=ts), changed=True)
    bad = ua.DataValue(ua.Variant(3, ua.VariantType.Int32), ua.StatusCode(ua.StatusCodes.BadOutOfService))
    drv.on_change("ns=2;i=7", bad, changed=True)
    drv.on_change("ns=2;s=Broken", ua.DataValue(ua.Variant(float("nan"))), changed=True)
    now = time.monotonic()
    points = {p.name: p for p in drv._points(now)}
    assert set(points) == {"flow", "state"}  # NaN is never published
    assert drv._left_out == {("plc", "no_value"): 1}  # but counted (the agent's /metrics)
    assert points["flow"].value == 3.0 and points["flow"].unit == "t/h"
    assert points["flow"].ts == int(ts.timestamp() * 1000) and points["flow"].quality is Quality.GOOD
    assert points["state"].quality is Quality.BAD
    later = {p.name: p for p in drv._points(now + 3.5)}
    assert later["flow"].quality is Quality.STALE
    assert later["state"].quality is Quality.BAD  # bad stays bad
    # A re-read that brings the same value and source timestamp is no update.
    drv.on_change("ns=2;s=Flow", ua.DataValue(ua.Variant(1.5), SourceTimestamp=ts), changed=False)
    assert drv._latest["ns=2;s=Flow"].changed_at <= now


# A Bad status reaches the client without a value (OPC UA nulls it); Uncertain keeps it.
FAULTS = {
    "gas_flow": (ua.StatusCodes.BadSensorFailure, "bad"),
    "steam_flow": (ua.StatusCodes.BadNoCommunication, "bad"),
    "production_count": (ua.StatusCodes.UncertainLastUsableValue, "estimated"),
}


def _qualities(msg: Telemetry) -> dict[str, str]:
    return {p.name: p.quality.value for p in msg.points}


def _last(c: Collector, name: str) -> dict[str, str]:
    return _qualities(c.telemetry[name][-1]) if c.telemetry[name] else {}


async def test_status_codes_from_a_real_plc(broker: Mosquitto, collector: Collector, tmp_path: Path) -> None:
    only = {"line1-plc", "line2-plc"}  # subscription and polling mode
    async with run_plant(PlantSpec.example(), ports="free", speed=0, start=NOON, only=only) as plant:
        cfg = config_for(plant, broker.url, tmp_path, only=only)
        async with running(cfg):
            await collector.wait_for(lambda: all(len(collector.telemetry[n]) >= 2 for n in only), 15)
            for name in only:
                assert set(_last(collector, name).values()) == {"good"}
                for point, (status, _) in FAULTS.items():
                    plant.set_opcua_status(name, point, status)
            # Set between two server updates: the first bad message shows all three faults.
            await collector.wait_for(lambda: all(_last(collector, n).get("gas_flow") == "bad" for n in only))
            for name in only:
                last = collector.telemetry[name][-1]
                qualities = _qualities(last)
                for point, (_, quality) in FAULTS.items():
                    assert qualities.get(point) == quality, (name, point, qualities)
                assert {q for p, q in qualities.items() if p not in FAULTS} == {"good"}, name
                for p in last.points:  # bad points hold the node's last number (time is frozen)
                    assert abs(p.value - plant.truth(name, p.name)) <= 1e-6 * max(1.0, abs(p.value)), p
                plant.set_opcua_status(name, "gas_flow", None)
            await collector.wait_for(lambda: all(_last(collector, n).get("gas_flow") == "good" for n in only))
