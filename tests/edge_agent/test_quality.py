"""OPC UA status codes and staleness -> quality flags (the driver's mapping, without a server)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from asyncua import ua

from edge_agent.config_devices import OpcuaDevice
from edge_agent.drivers.base import DriverContext
from edge_agent.drivers.opcua import OpcuaDriver, number_of, quality_of
from iiot_core.model import Quality


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
    assert points["flow"].value == 3.0 and points["flow"].unit == "t/h"
    assert points["flow"].ts == int(ts.timestamp() * 1000) and points["flow"].quality is Quality.GOOD
    assert points["state"].quality is Quality.BAD
    later = {p.name: p for p in drv._points(now + 3.5)}
    assert later["flow"].quality is Quality.STALE
    assert later["state"].quality is Quality.BAD  # bad stays bad
    # A re-read that brings the same value and source timestamp is no update.
    drv.on_change("ns=2;s=Flow", ua.DataValue(ua.Variant(1.5), SourceTimestamp=ts), changed=False)
    assert drv._latest["ns=2;s=Flow"].changed_at <= now
