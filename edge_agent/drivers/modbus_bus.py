"""One Modbus "bus": a pymodbus async client per host:port (or serial port), shared by units.

The bus owns the connection, its lock and its reconnects (as Home Assistant's hub does):
devices with different unit ids on one gateway or RS-485 line share it, one request at a
time. Library errors become DriverError here, at the seam.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from edge_agent.config_devices import ModbusDevice, ModbusRtuSerialDevice, ModbusRtuTcpDevice
from iiot_core.errors import DriverError
from iiot_core.registers import RegisterKind

log = logging.getLogger(__name__)

ModbusClient = AsyncModbusTcpClient | AsyncModbusSerialClient


ILLEGAL_ADDRESS = 0x02


class RequestRefused(DriverError):
    """The device answered with a Modbus exception response (it is alive but refused)."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Reply:
    """Registers (as words) or bits from one read request."""

    words: Sequence[int]
    bits: Sequence[bool]


def bus_key(dev: ModbusDevice) -> str:
    """Devices with the same key share one connection."""
    if isinstance(dev, ModbusRtuSerialDevice):
        return f"serial:{dev.serial_port}"
    framing = "rtu" if isinstance(dev, ModbusRtuTcpDevice) else "tcp"
    return f"{framing}://{dev.host}:{dev.port}"


def _make_client(dev: ModbusDevice, timeout_s: float) -> ModbusClient:
    # retries=0 and reconnect_delay=0: the agent's poll loop owns retry, backoff and reconnect.
    if isinstance(dev, ModbusRtuSerialDevice):
        return AsyncModbusSerialClient(
            dev.serial_port,
            framer=FramerType.RTU,
            baudrate=dev.baudrate,
            bytesize=dev.bytesize,
            parity=dev.parity,
            stopbits=dev.stopbits,
            timeout=timeout_s,
            retries=0,
            reconnect_delay=0,
        )
    framer = FramerType.RTU if isinstance(dev, ModbusRtuTcpDevice) else FramerType.SOCKET
    return AsyncModbusTcpClient(
        dev.host, port=dev.port, framer=framer, timeout=timeout_s, retries=0, reconnect_delay=0
    )


class ModbusBus:
    """A shared connection; ``read`` is safe to call from several device tasks."""

    def __init__(self, key: str, dev: ModbusDevice) -> None:
        self.key = key
        self._timeout_s = dev.timeout_s
        self._client = _make_client(dev, dev.timeout_s)
        self._lock = asyncio.Lock()
        self.users = 0
        self.requests = 0

    async def connect(self, timeout_s: float) -> None:
        """Connect unless already connected."""
        async with self._lock:
            await self._connect_locked(timeout_s)

    async def _connect_locked(self, timeout_s: float) -> None:
        if self._client.connected:
            return
        try:
            async with asyncio.timeout(timeout_s):
                ok = await self._client.connect()
        except (TimeoutError, OSError, ModbusException) as exc:
            raise DriverError(f"cannot connect to {self.key}: {exc!r}") from exc
        if not ok:
            raise DriverError(f"cannot connect to {self.key}")
        log.debug("modbus bus connected bus=%s", self.key)

    async def read(
        self, kind: RegisterKind, address: int, count: int, unit_id: int, timeout_s: float
    ) -> Reply:
        """One read request; raises RequestRefused on an exception response, else DriverError."""
        async with self._lock:
            await self._connect_locked(timeout_s)
            self.requests += 1
            try:
                async with asyncio.timeout(timeout_s):
                    rr = await self._request(kind, address, count, unit_id)
            except TimeoutError as exc:
                raise DriverError(f"no answer from unit {unit_id} on {self.key} in {timeout_s} s") from exc
            except (ModbusException, OSError) as exc:
                raise DriverError(f"unit {unit_id} on {self.key}: {exc}") from exc
        if rr.isError():
            code = getattr(rr, "exception_code", None)
            raise RequestRefused(
                f"unit {unit_id} on {self.key} refused {kind} {address}+{count}: exception code {code}",
                code,
            )
        return Reply(rr.registers, rr.bits)

    async def _request(self, kind: RegisterKind, address: int, count: int, unit: int) -> ModbusPDU:
        c = self._client
        if kind == "holding":
            return await c.read_holding_registers(address, count=count, device_id=unit)
        if kind == "input":
            return await c.read_input_registers(address, count=count, device_id=unit)
        if kind == "coil":
            return await c.read_coils(address, count=count, device_id=unit)
        return await c.read_discrete_inputs(address, count=count, device_id=unit)

    def close(self) -> None:
        self._client.close()


def acquire_bus(buses: dict[str, object], dev: ModbusDevice) -> ModbusBus:
    """The bus of ``dev``, created on first use; counted so that the last user closes it."""
    key = bus_key(dev)
    bus = buses.get(key)
    if not isinstance(bus, ModbusBus):
        bus = ModbusBus(key, dev)
        buses[key] = bus
    bus.users += 1
    return bus


def release_bus(buses: dict[str, object], bus: ModbusBus) -> None:
    bus.users -= 1
    if bus.users <= 0:
        bus.close()
        buses.pop(bus.key, None)
