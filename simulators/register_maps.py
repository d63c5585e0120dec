"""The example plant's device layouts as data: Modbus register maps and OPC UA node sets.

Every register holds ``round(truth * factor)`` (or the float itself), where ``truth`` is the
point's engineering value in its published unit; e.g. main-meter power is published in kW
and stored in W, so its factor is 1000. A coil or discrete input holds a 0/1 point as a bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from iiot_core.registers import REGISTER_COUNT, ByteOrder, DataType

Framer = Literal["socket", "rtu"]
TableKind = Literal["holding", "input"]
OpcuaType = Literal["UInt32", "Int32", "Double", "String"]


@dataclass(frozen=True, slots=True)
class Field:
    """One value in a register map: address (0-based), data type, point and raw/truth factor."""

    address: int
    dtype: DataType
    point: str
    factor: float = 1.0

    @property
    def words(self) -> int:
        return REGISTER_COUNT[self.dtype]


@dataclass(frozen=True, slots=True)
class Bit:
    """One coil or discrete input: bit address (0-based) and the 0/1 point it holds."""

    address: int
    point: str


@dataclass(frozen=True, slots=True)
class ModbusDeviceMap:
    """A Modbus device: unit id, register table, byte order and fields over ``size`` registers.

    ``coils`` and ``discretes`` are its bits (function codes 1 and 2), if it has any.
    ``holes`` are ``(address, count)`` ranges of unimplemented registers: like a real meter,
    the device answers any read that touches one with exception 2 (illegal data address).
    """

    name: str
    unit_id: int
    table: TableKind
    order: ByteOrder
    size: int
    fields: tuple[Field, ...]
    coils: tuple[Bit, ...] = ()
    discretes: tuple[Bit, ...] = ()
    holes: tuple[tuple[int, int], ...] = ()

    def implemented(self) -> list[tuple[int, int]]:
        """``(address, count)`` runs of the registers in ``0..size`` outside every hole."""
        missing = {a for start, count in self.holes for a in range(start, start + count)}
        runs: list[tuple[int, int]] = []
        for a in range(self.size):
            if a in missing:
                continue
            if runs and sum(runs[-1]) == a:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((a, 1))
        return runs


@dataclass(frozen=True, slots=True)
class ModbusServerSpec:
    """One listening Modbus server, hosting one or more devices (unit ids)."""

    name: str
    port: int
    framer: Framer
    devices: tuple[ModbusDeviceMap, ...]


@dataclass(frozen=True, slots=True)
class PlcNode:
    """One OPC UA variable: point name, node id suffix and variant type."""

    point: str
    suffix: str
    vtype: OpcuaType


@dataclass(frozen=True, slots=True)
class OpcuaServerSpec:
    """One OPC UA PLC server: its device name, port, endpoint path and node id prefix."""

    name: str
    port: int
    path: str
    prefix: str
    line: Literal["line1", "line2"]
    nodes: tuple[PlcNode, ...]


NAMESPACE_URI = "urn:zcf:sim"

MAIN_METER = ModbusDeviceMap(
    "main-meter",
    unit_id=1,
    table="input",
    order="ABCD",
    # Laid out like an Eastron SDM630; the unused floats between fields read as 0.0.
    size=80,
    fields=(
        Field(0, "float32", "voltage_l1"),
        Field(2, "float32", "voltage_l2"),
        Field(4, "float32", "voltage_l3"),
        Field(6, "float32", "current_l1"),
        Field(8, "float32", "current_l2"),
        Field(10, "float32", "current_l3"),
        Field(52, "float32", "active_power", 1000.0),
        Field(72, "float32", "import_energy"),
    ),
)

LINE1_METER = ModbusDeviceMap(
    "line1-meter",
    unit_id=2,
    table="holding",
    order="CDAB",
    size=12,
    fields=(
        Field(0, "int32", "active_power", 10_000.0),
        Field(2, "uint32", "import_energy", 100.0),
        Field(10, "int16", "power_factor", 1000.0),
    ),
    # The meter's relay output (closes the feeder breaker) and two digital inputs wired to
    # the line: running and fault.
    coils=(Bit(0, "breaker_closed"),),
    discretes=(Bit(0, "running"), Bit(1, "fault_alarm")),
)

PV_INVERTER = ModbusDeviceMap(
    "pv-inverter",
    unit_id=1,
    table="holding",
    order="ABCD",
    size=8,
    fields=(
        Field(0, "uint32", "pv_power", 1000.0),
        Field(2, "uint64", "pv_energy", 1000.0),
        Field(6, "uint16", "status"),
        Field(7, "int16", "temperature", 10.0),
    ),
)

LINE2_METER = ModbusDeviceMap(
    "line2-meter",
    unit_id=3,
    table="holding",
    order="ABCD",
    size=6,
    fields=(
        Field(0, "int16", "voltage", 10.0),
        Field(1, "int16", "current", 100.0),
        Field(2, "float32", "active_power"),
        Field(4, "uint32", "import_energy", 1000.0),
    ),
)


def _plc_nodes() -> tuple[PlcNode, ...]:
    return (
        PlcNode("production_count", "ProductionCount", "UInt32"),
        PlcNode("line_state", "State", "Int32"),
        # The same state as text, "stopped" during the changeover (profiles.STATE_NAMES).
        PlcNode("state_text", "StateText", "String"),
        PlcNode("gas_flow", "GasFlow", "Double"),
        PlcNode("gas_total", "GasTotal", "Double"),
        PlcNode("steam_flow", "SteamFlow", "Double"),
        PlcNode("steam_total", "SteamTotal", "Double"),
    )


EXAMPLE_MODBUS = (
    ModbusServerSpec("modbus-meters", 15020, "socket", (MAIN_METER, LINE1_METER)),
    ModbusServerSpec("modbus-pv", 15021, "socket", (PV_INVERTER,)),
    ModbusServerSpec("modbus-line2", 15022, "rtu", (LINE2_METER,)),
)

EXAMPLE_OPCUA = (
    OpcuaServerSpec("line1-plc", 14840, "/zcf/line1", "Line1", "line1", _plc_nodes()),
    OpcuaServerSpec("line2-plc", 14841, "/zcf/line2", "Line2", "line2", _plc_nodes()),
)

POINT_UNITS: dict[str, str] = {
    "voltage_l1": "V",
    "voltage_l2": "V",
    "voltage_l3": "V",
    "current_l1": "A",
    "current_l2": "A",
    "current_l3": "A",
    "voltage": "V",
    "current": "A",
    "active_power": "kW",
    "import_energy": "kWh",
    "power_factor": "",
    "breaker_closed": "",
    "running": "",
    "fault_alarm": "",
    "pv_power": "kW",
    "pv_energy": "kWh",
    "status": "",
    "temperature": "degC",
    "production_count": "units",
    "line_state": "",
    "state_text": "",
    "gas_flow": "Nm3/h",
    "gas_total": "Nm3",
    "steam_flow": "t/h",
    "steam_total": "t",
}
"""Published unit of every point name (the plant contract)."""
