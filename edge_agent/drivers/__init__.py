"""Drivers behind one Protocol, and the explicit registry from config ``kind`` to driver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edge_agent.config_devices import DeviceConfig
from edge_agent.drivers.base import Driver, DriverContext
from edge_agent.drivers.modbus import ModbusDriver
from edge_agent.drivers.opcua import OpcuaDriver

DriverFactory = Callable[[Any, DriverContext], Driver]

DRIVERS: dict[str, DriverFactory] = {
    "modbus_tcp": ModbusDriver,
    "modbus_rtu_tcp": ModbusDriver,
    "modbus_rtu_serial": ModbusDriver,
    "opcua": OpcuaDriver,
}


def make_driver(dev: DeviceConfig, ctx: DriverContext) -> Driver:
    """The driver for ``dev`` (its ``kind`` is guaranteed known by config validation)."""
    return DRIVERS[dev.kind](dev, ctx)


__all__ = ["DRIVERS", "Driver", "DriverContext", "make_driver"]
