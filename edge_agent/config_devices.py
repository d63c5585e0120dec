"""Config models of the devices an edge agent polls: one model per driver, tagged by ``kind``."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from edge_agent.states import check_states
from iiot_core.registers import ByteOrder, DataType, RegisterKind
from iiot_core.store.lineproto import point_name_problem
from iiot_core.topics import check_segment

# ns=2;s=Line1.State | ns=2;i=1001 | nsu=urn:zcf:sim;s=Line1.State (also g= and b= identifiers)
_NODE_ID = re.compile(r"^(ns=\d+;|nsu=[^;]+;)?[sigb]=.+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _point_name(name: str) -> str:
    """``name`` if ingest will store it as it is (the rule ingest applies), else ValueError."""
    problem = point_name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


def _state_point(p: ModbusPoint | OpcuaPoint) -> None:
    if p.states is not None and (p.scale != 1.0 or p.offset != 0.0):
        raise ValueError("a state point publishes its state's code as it is: no scale or offset")


def _unique_points(points: list[ModbusPoint] | list[OpcuaPoint]) -> None:
    seen: set[str] = set()
    for p in points:
        if p.name in seen:
            raise ValueError(f"duplicate point name {p.name!r}")
        seen.add(p.name)


class ModbusPoint(_Strict):
    """One value read from a Modbus register (or a run of registers)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    # ``register`` would shadow a pydantic attribute; the TOML key stays ``register``.
    reg: RegisterKind = Field(alias="register")
    address: int = Field(ge=0, le=65535)
    type: DataType = "uint16"
    order: ByteOrder = "ABCD"
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    # A state point: the register holds one of these codes (name -> code); any other value is
    # published as -1 with quality bad (edge_agent/states.py).
    states: dict[str, int] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _point_name(v)

    _states = field_validator("states")(check_states)

    @model_validator(mode="after")
    def _bits_are_bool(self) -> ModbusPoint:
        if self.reg in ("coil", "discrete") and self.type != "bool":
            raise ValueError(f"a {self.reg} holds one bit: type must be 'bool'")
        _state_point(self)
        return self


class _DeviceBase(_Strict):
    name: str
    area: str
    line: str
    poll_interval_s: float = Field(default=5.0, ge=0, le=86400)
    timeout_s: float = Field(default=2.0, gt=0, le=120)

    @field_validator("name", "area", "line")
    @classmethod
    def _segment(cls, v: str, info: ValidationInfo) -> str:
        return check_segment(v, f"device {info.field_name}")


class _ModbusBase(_DeviceBase):
    unit_id: int = Field(default=1, ge=0, le=255)
    max_gap: int = Field(default=10, ge=0, le=124)
    points: list[ModbusPoint] = Field(min_length=1)

    @field_validator("points")
    @classmethod
    def _points(cls, v: list[ModbusPoint]) -> list[ModbusPoint]:
        _unique_points(v)
        return v


class ModbusTcpDevice(_ModbusBase):
    """A Modbus TCP device (MBAP framing)."""

    kind: Literal["modbus_tcp"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)


class ModbusRtuTcpDevice(_ModbusBase):
    """A Modbus RTU device behind a transparent serial-to-TCP gateway (RTU framing over TCP)."""

    kind: Literal["modbus_rtu_tcp"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)


class ModbusRtuSerialDevice(_ModbusBase):
    """A Modbus RTU device on a local serial port (RS-485 adapter)."""

    kind: Literal["modbus_rtu_serial"]
    serial_port: str
    baudrate: int = Field(default=9600, gt=0)
    parity: Literal["N", "E", "O"] = "N"
    bytesize: Literal[7, 8] = 8
    stopbits: Literal[1, 2] = 1


class OpcuaPoint(_Strict):
    """One OPC UA variable node published as a point."""

    name: str
    node_id: str
    unit: str = ""
    scale: float = 1.0
    offset: float = 0.0
    # A state point: a string value is published as the code of its name; an enumeration
    # value through the names of the node's data type (edge_agent/states.py).
    states: dict[str, int] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _point_name(v)

    _states = field_validator("states")(check_states)

    @model_validator(mode="after")
    def _state(self) -> OpcuaPoint:
        _state_point(self)
        return self

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, v: str) -> str:
        if not _NODE_ID.match(v):
            raise ValueError("node_id must look like 'ns=2;s=Name', 'ns=2;i=1001' or 'nsu=URI;s=Name'")
        return v


class OpcuaDevice(_DeviceBase):
    """An OPC UA server (a PLC or SCADA node), read by subscription or by polling."""

    kind: Literal["opcua"]
    endpoint: str
    mode: Literal["subscription", "polling"] = "subscription"
    security_policy: Literal["None", "Basic256Sha256"] = "None"
    security_mode: Literal["None", "Sign", "SignAndEncrypt"] = "None"
    username: str | None = None
    password: str | None = None
    # Name of an environment variable holding the password, so that it stays out of the file.
    password_env: str | None = None
    cert_dir: str = "edge-pki"
    # Server certificates (or their CAs) the agent trusts, checked at every session when
    # security is on; refused ones are saved under rejected/ there for review.
    trust_dir: str = "opcua-trust"
    # Pin the first certificate a server presents (as {trust_dir}/{name}.der). Off: an
    # attacker present at the first connection would be pinned instead of the PLC.
    trust_on_first_use: bool = False
    points: list[OpcuaPoint] = Field(min_length=1)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not v.startswith("opc.tcp://"):
            raise ValueError("endpoint must start with opc.tcp://")
        return v

    @field_validator("points")
    @classmethod
    def _points(cls, v: list[OpcuaPoint]) -> list[OpcuaPoint]:
        _unique_points(v)
        return v

    @model_validator(mode="after")
    def _security_pair(self) -> OpcuaDevice:
        if (self.security_policy == "None") != (self.security_mode == "None"):
            raise ValueError(
                "security_policy and security_mode must both be 'None' or both be set "
                "(e.g. Basic256Sha256 with Sign or SignAndEncrypt)"
            )
        if self.password is not None and self.password_env is not None:
            raise ValueError("set password or password_env, not both")
        return self


DeviceConfig = Annotated[
    ModbusTcpDevice | ModbusRtuTcpDevice | ModbusRtuSerialDevice | OpcuaDevice,
    Field(discriminator="kind"),
]
ModbusDevice = ModbusTcpDevice | ModbusRtuTcpDevice | ModbusRtuSerialDevice
