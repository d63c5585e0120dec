"""Edge agent configuration: the TOML file validated into pydantic models at start-up.

Relative paths (buffer file, certificate directory) are taken relative to the data
directory (``zcf edge --data-dir``, default ``data`` in the working directory).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge_agent.config_devices import (
    DeviceConfig,
    ModbusPoint,
    ModbusRtuSerialDevice,
    ModbusRtuTcpDevice,
    ModbusTcpDevice,
    OpcuaDevice,
    OpcuaPoint,
)
from iiot_core.config_loader import read_toml, validate
from iiot_core.errors import ConfigError
from iiot_core.mqtt_config import MqttConfig
from iiot_core.topics import check_segment

__all__ = [
    "AgentSection",
    "BufferSection",
    "DeviceConfig",
    "EdgeConfig",
    "ModbusPoint",
    "ModbusRtuSerialDevice",
    "ModbusRtuTcpDevice",
    "ModbusTcpDevice",
    "OpcuaDevice",
    "OpcuaPoint",
    "check",
    "load",
]

_KINDS = ("modbus_tcp", "modbus_rtu_tcp", "modbus_rtu_serial", "opcua")


class AgentSection(BaseModel):
    """Who this agent is and how often it reports on itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    site: str
    status_interval_s: float = Field(default=10.0, gt=0, le=3600)
    heartbeat_s: float = Field(default=60.0, gt=0, le=86400)
    backoff_max_s: float = Field(default=30.0, gt=0, le=3600)
    # GET /health and /metrics of the agent (devices, outbox, publishing); None: no endpoint.
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)

    @field_validator("id", "site")
    @classmethod
    def _segment(cls, v: str) -> str:
        return check_segment(v, "agent id/site")


class BufferSection(BaseModel):
    """The on-disk store-and-forward outbox (SQLite, WAL)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = "edge-buffer.sqlite"
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=64 * 1024)
    max_age_s: float = Field(default=7 * 86400, gt=0)
    replay_window: int = Field(default=200, ge=1, le=5000)


class EdgeConfig(BaseModel):
    """The whole edge agent config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: AgentSection
    mqtt: MqttConfig = MqttConfig()
    buffer: BufferSection = BufferSection()
    devices: list[DeviceConfig] = Field(min_length=1)

    @field_validator("devices")
    @classmethod
    def _unique_names(cls, devices: list[DeviceConfig]) -> list[DeviceConfig]:
        problem = _duplicate_name([d.name for d in devices])
        if problem:
            raise ValueError(problem)
        return devices


def _duplicate_name(names: list[object]) -> str | None:
    first: dict[object, int] = {}
    for i, name in enumerate(names):
        if name is not None and name in first:
            return f"duplicate device name {name!r} (devices[{first[name]}] and devices[{i}])"
        first[name] = i
    return None


def load(path: str | Path) -> EdgeConfig:
    """Read and validate an edge config; ``ZCF_MQTT_*`` override the [mqtt] section.

    When a device fails its own checks, the names are still checked on the file as written:
    a port out of range must not hide a duplicate name."""
    p = Path(path)
    data = read_toml(p)
    try:
        cfg = validate(EdgeConfig, data, str(p), tags=_KINDS)
    except ConfigError as exc:
        more = [line for line in _raw_name_problems(data, str(p)) if line not in exc.problems]
        if not more:
            raise
        raise ConfigError([*exc.problems, *more]) from exc
    return cfg.model_copy(update={"mqtt": cfg.mqtt.with_env()})


def _raw_name_problems(data: dict[str, object], source: str) -> list[str]:
    """Duplicate device names, and point names within a device, in the file as written."""
    raw = data.get("devices")
    devices = [d if isinstance(d, dict) else {} for d in raw] if isinstance(raw, list) else []
    out = []
    if problem := _duplicate_name([d.get("name") for d in devices]):
        out.append(f"{source}: devices: {problem}")
    for i, d in enumerate(devices):
        points = d.get("points")
        names = [pt.get("name") for pt in points if isinstance(pt, dict)] if isinstance(points, list) else []
        dupes = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
        label = f"({d['name']})" if isinstance(d.get("name"), str) else ""
        out += [f"{source}: devices[{i}]{label}.points: duplicate point name {n!r}" for n in dupes[:1]]
    return out


def with_data_dir(cfg: EdgeConfig, data_dir: str | Path) -> EdgeConfig:
    """``cfg`` with its relative paths (buffer, OPC UA certificates) placed under ``data_dir``."""
    base = Path(data_dir)

    def under(p: str) -> str:
        return p if Path(p).is_absolute() else str(base / p)

    devices = [
        d.model_copy(update={"cert_dir": under(d.cert_dir), "trust_dir": under(d.trust_dir)})
        if isinstance(d, OpcuaDevice)
        else d
        for d in cfg.devices
    ]
    buffer = cfg.buffer.model_copy(update={"path": under(cfg.buffer.path)})
    return cfg.model_copy(update={"buffer": buffer, "devices": devices})


def check(path: str | Path) -> list[str]:
    """Error lines for ``zcf check`` (file, key path, problem); empty if the config is fine."""
    try:
        load(path)
    except ConfigError as exc:
        return list(exc.problems)
    return []
