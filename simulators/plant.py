"""The simulated plant: every server of a :class:`PlantSpec` around one shared scenario.

async with run_plant(PlantSpec.example(), ports="free", speed=0) as plant:
    host, port, unit, framer = plant.modbus_endpoint("line1-meter")
    plant.truth("line1-meter", "active_power")
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pymodbus.constants import ExcCodes

from simulators.live import LiveModel
from simulators.modbus_server import DeviceFaults, ModbusServerRunner
from simulators.opcua_server import OpcuaSecurity, PlcServer
from simulators.register_maps import (
    EXAMPLE_MODBUS,
    EXAMPLE_OPCUA,
    ModbusDeviceMap,
    ModbusServerSpec,
    OpcuaServerSpec,
)
from simulators.scenario import CounterEvent, Scenario, ScenarioClock, ScenarioConfig, Snapshot

log = logging.getLogger(__name__)

Ports = Mapping[str, int] | Literal["free"] | None


@dataclass(frozen=True, slots=True)
class PlantSpec:
    """Which servers and devices make up the plant, and the site's time zone."""

    site: str
    timezone: str
    modbus: tuple[ModbusServerSpec, ...]
    opcua: tuple[OpcuaServerSpec, ...]

    @classmethod
    def example(cls) -> PlantSpec:
        """The example plant of the shared contract (site plant1, Asia/Shanghai)."""
        return cls("plant1", "Asia/Shanghai", EXAMPLE_MODBUS, EXAMPLE_OPCUA)

    def modbus_devices(self) -> list[ModbusDeviceMap]:
        return [d for s in self.modbus for d in s.devices]


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_for(name: str, default: int, devices: Iterable[str], ports: Ports, host: str) -> int:
    """Port of a server: fixed demo port, OS-chosen, or from ``ports`` by server/device name."""
    if ports is None:
        return default
    if ports == "free":
        return _free_port(host)
    for key in (name, *devices):
        if key in ports:
            return ports[key]
    return default


class Plant:
    """A running plant: endpoints, ground truth and fault switches."""

    def __init__(
        self,
        spec: PlantSpec,
        live: LiveModel,
        modbus: list[ModbusServerRunner],
        opcua: list[PlcServer],
        faults: dict[str, DeviceFaults],
    ) -> None:
        self.spec = spec
        self.live = live
        self._faults = faults
        self._modbus = {d.name: r for r in modbus for d in r.spec.devices}
        self._maps = {d.name: d for d in spec.modbus_devices()}
        self._opcua = {p.spec.name: p for p in opcua}
        self.servers: list[ModbusServerRunner | PlcServer] = [*modbus, *opcua]

    # -- endpoints and truth -------------------------------------------------------------
    def devices(self) -> list[str]:
        """Names of every device served."""
        return [*self._modbus, *self._opcua]

    def modbus_endpoint(self, device: str) -> tuple[str, int, int, str]:
        """``(host, port, unit_id, framer)`` of a Modbus device; framer is "socket" or "rtu"."""
        runner = self._modbus[device]
        return runner.host, runner.port, self._maps[device].unit_id, runner.spec.framer

    def opcua_endpoint(self, device: str) -> str:
        """``opc.tcp://host:port/path`` of an OPC UA PLC."""
        return self._opcua[device].endpoint

    def truth(self, device: str, point: str) -> float:
        """Current engineering value of a point, in its published unit (kW, kWh, ...)."""
        return self.live.truth(device, point)

    def snapshot(self) -> Snapshot:
        """The scenario state the servers currently publish."""
        self.live.refresh()
        return self.live.snapshot

    def sim_time(self) -> float:
        """Current simulated time, epoch seconds UTC."""
        return self.live.clock.now()

    def sim_elapsed(self) -> float:
        """Simulated seconds since the scenario start."""
        return self.live.clock.elapsed()

    # -- faults --------------------------------------------------------------------------
    async def stop_device(self, device: str) -> None:
        """Make a device stop answering; a server whose devices are all stopped closes."""
        if device in self._opcua:
            await self._opcua[device].stop()
            return
        self._faults[device].silent = True
        runner = self._modbus[device]
        if all(self._faults[d.name].silent for d in runner.spec.devices):
            await runner.stop()
        log.info("fault device=%s offline", device)

    async def resume_device(self, device: str) -> None:
        """Bring a stopped device back, on the same port."""
        if device in self._opcua:
            await self._opcua[device].start()
            return
        self._faults[device].silent = False
        await self._modbus[device].start()
        log.info("fault device=%s back online", device)

    def set_exception(self, device: str, enabled: bool, code: int = ExcCodes.DEVICE_BUSY) -> None:
        """While enabled, every request to the device gets Modbus exception ``code``."""
        self._faults[device].exception = ExcCodes(code) if enabled else None
        log.info("fault device=%s exception=%s", device, self._faults[device].exception)

    def set_opcua_status(self, device: str, point: str, status: int | None) -> None:
        """From the next update on, ``point`` of a PLC reports ``status`` (None: Good again).

        ``status`` is a ``ua.StatusCodes`` value; with a Bad one the server sends no value.
        """
        faults = self._opcua[device].status_faults
        if status is None:
            faults.pop(point, None)
        else:
            faults[point] = status
        log.info("fault device=%s point=%s status=%s", device, point, status)

    def set_opcua_text(self, device: str, point: str, text: str | None) -> None:
        """From the next update on, the String ``point`` of a PLC shows ``text`` (None: its state)."""
        faults = self._opcua[device].text_faults
        if text is None:
            faults.pop(point, None)
        else:
            faults[point] = text
        log.info("fault device=%s point=%s text=%r", device, point, text)

    async def restart_opcua(self, device: str) -> None:
        """Stop and start an OPC UA PLC server (same port, same node ids)."""
        await self._opcua[device].restart()

    async def close(self) -> None:
        """Stop every server (concurrently: an OPC UA stop waits up to 1 s for its clock task)."""
        async with asyncio.TaskGroup() as tg:
            for server in self.servers:
                tg.create_task(server.stop())


def _start_time(start: float | datetime | None) -> float:
    if start is None:
        return time.time()
    return start.timestamp() if isinstance(start, datetime) else float(start)


@contextlib.asynccontextmanager
async def run_plant(
    spec: PlantSpec,
    host: str = "127.0.0.1",
    ports: Ports = None,
    speed: float = 1.0,
    seed: int = 1,
    start: float | datetime | None = None,
    counter_event: CounterEvent | None = None,
    opcua_security: OpcuaSecurity | Mapping[str, OpcuaSecurity] | None = None,
    only: Iterable[str] | None = None,
    refresh_s: float = 0.05,
) -> AsyncIterator[Plant]:
    """Start the plant's servers (all, or the servers/devices named in ``only``), stop on exit.

    ``ports``: None = demo ports, "free" = OS-chosen, or a mapping by server or device name.
    ``speed`` 0 freezes simulated time at ``start`` (exact comparisons in tests).
    """
    config = ScenarioConfig(
        start=_start_time(start), seed=seed, timezone=spec.timezone, counter_event=counter_event
    )
    clock = ScenarioClock(config.start, speed)
    live = LiveModel(Scenario(config), clock, spec.modbus_devices(), refresh_s)
    faults = {d.name: DeviceFaults() for d in spec.modbus_devices()}
    wanted = None if only is None else set(only)
    modbus = [
        ModbusServerRunner(
            s,
            live,
            faults,
            host,
            0 if ports == "free" else _port_for(s.name, s.port, [d.name for d in s.devices], ports, host),
        )
        for s in spec.modbus
        if wanted is None or wanted & {s.name, *(d.name for d in s.devices)}
    ]
    opcua = [
        PlcServer(
            s, live, host, _port_for(s.name, s.port, [], ports, host), _security_for(s.name, opcua_security)
        )
        for s in spec.opcua
        if wanted is None or s.name in wanted
    ]
    plant = Plant(spec, live, modbus, opcua, faults)
    try:
        for server in plant.servers:
            await server.start()
        yield plant
    finally:
        await plant.close()


def _security_for(
    name: str, security: OpcuaSecurity | Mapping[str, OpcuaSecurity] | None
) -> OpcuaSecurity | None:
    if security is None or isinstance(security, OpcuaSecurity):
        return security
    return security.get(name)
