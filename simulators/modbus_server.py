"""Simulated Modbus servers built on pymodbus 3.16 ``SimDevice`` (one server, many unit ids).

Each device's ``action`` callback copies the live register (or bit) image into the
SimDevice's blocks on every read, enforces the register table (input vs holding, and coils or
discrete inputs only where the device has them) and plays faults: a silenced device does not
answer at all, an exception-mode device answers with a Modbus exception code. A server whose
devices are all silenced stops listening altogether.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.framer import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from simulators.live import LiveModel
from simulators.register_maps import Bit, ModbusDeviceMap, ModbusServerSpec

log = logging.getLogger(__name__)

READ_FUNCTIONS = {"holding": frozenset({3}), "input": frozenset({4})}
BIT_FUNCTIONS: dict[int, Literal["coil", "discrete"]] = {1: "coil", 2: "discrete"}
FRAMERS = {"socket": FramerType.SOCKET, "rtu": FramerType.RTU}

Action = Callable[
    [int, int, int, int, list[int], list[int] | list[bool] | None],
    Coroutine[Any, Any, ExcCodes | None],
]


@dataclass(slots=True)
class DeviceFaults:
    """Fault switches of one device, flipped by the plant."""

    silent: bool = False
    # Must be an ExcCodes member: pymodbus only turns ExcCodes (not plain ints) into replies.
    exception: ExcCodes | None = None


def make_action(device: ModbusDeviceMap, live: LiveModel, faults: DeviceFaults) -> Action:
    """The SimDevice ``action``: refresh registers from the live model, or play a fault."""
    has_bits = {1: bool(device.coils), 2: bool(device.discretes)}
    allowed = READ_FUNCTIONS[device.table] | {fc for fc, has in has_bits.items() if has}

    async def action(
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if faults.silent:
            # With ignore_missing_devices the server drops the request: the client times out.
            raise NoSuchIdException(f"{device.name} is offline")
        if faults.exception is not None:
            return faults.exception
        if function_code not in allowed:
            return ExcCodes.ILLEGAL_ADDRESS
        live.refresh()
        if function_code in BIT_FUNCTIONS:
            # Bit blocks hold 16 bits a word and always start at address 0 here.
            words = pack_bits(live.bits(device.name, BIT_FUNCTIONS[function_code]))
            registers[: len(words)] = words
            return None
        # ``registers`` starts at the first implemented address (0 unless a hole starts there).
        window = live.image(device.name)[start_address : start_address + len(registers)]
        registers[: len(window)] = window
        return None

    return action


def pack_bits(bits: list[bool]) -> list[int]:
    """Bits as 16-bit words, bit 0 in the least significant bit of the first word."""
    words = [bits[start : start + 16] for start in range(0, len(bits), 16)]
    return [sum(1 << i for i, bit in enumerate(word) if bit) for word in words]


def _bit_block(bits: tuple[Bit, ...]) -> list[SimData]:
    # SimDevice wants a block for each table: a device without bits gets one (refused by
    # the action). pymodbus pads bits to whole words, so reads past the last bit, up to the
    # next multiple of 16, answer False instead of an exception.
    count = max((b.address for b in bits), default=0) + 1
    return [SimData(0, count=count, values=False, datatype=DataType.BITS)]


def build_sim_device(device: ModbusDeviceMap, action: Action) -> SimDevice:
    """A SimDevice with ``device.size`` read-only registers from address 0, and its bits.

    Separate blocks per table (coils, discrete inputs, holding, input), so that bits are
    addressed one by one as on a real device; both register tables hold the same image and
    the action refuses the one the device does not have. A hole is left out of the blocks:
    pymodbus answers a read touching it with ILLEGAL_ADDRESS before the action runs.
    """
    regs = [
        SimData(start, count=count, values=0, datatype=DataType.REGISTERS, readonly=True)
        for start, count in device.implemented()
    ]
    return SimDevice(
        id=device.unit_id,
        simdata=(_bit_block(device.coils), _bit_block(device.discretes), regs, list(regs)),
        action=action,
    )


def build_catch_all(framer: str) -> SimDevice:
    """Unit id 0 = every unit id not served: answer like a gateway (TCP) or a bus (RTU) would.

    Without it pymodbus answers an unknown unit with DEVICE_FAILURE and logs a traceback.
    """
    silent = framer == "rtu"

    async def action(
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if silent:
            raise NoSuchIdException("no such unit on this RTU line")
        return ExcCodes.GATEWAY_NO_RESPONSE

    # The whole address space, so that the action runs whatever address is asked for.
    block = SimData(0, count=65536, values=0, datatype=DataType.REGISTERS, readonly=True)
    return SimDevice(id=0, simdata=[block], action=action)


class ModbusServerRunner:
    """One listening server: start, stop and start again on the same port."""

    def __init__(
        self,
        spec: ModbusServerSpec,
        live: LiveModel,
        faults: dict[str, DeviceFaults],
        host: str,
        port: int,
    ) -> None:
        self.spec = spec
        self.host = host
        self.port = port
        self._live = live
        self._faults = faults
        self._server: ModbusTcpServer | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def _devices(self) -> list[SimDevice]:
        devices = [
            build_sim_device(d, make_action(d, self._live, self._faults[d.name])) for d in self.spec.devices
        ]
        return [*devices, build_catch_all(self.spec.framer)]

    async def start(self) -> None:
        """Listen (port 0 picks a free port, then kept for restarts)."""
        if self._server is not None:
            return
        server = ModbusTcpServer(
            self._devices(),
            framer=FRAMERS[self.spec.framer],
            address=(self.host, self.port),
            ignore_missing_devices=True,
        )
        await server.serve_forever(background=True)
        if self.port == 0:
            self.port = int(server.transport.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        self._server = server
        log.info(
            "modbus server=%s listening=%s:%d framer=%s units=%s",
            self.spec.name,
            self.host,
            self.port,
            self.spec.framer,
            ",".join(f"{d.name}/{d.unit_id}" for d in self.spec.devices),
        )

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()
            log.info("modbus server=%s stopped port=%d", self.spec.name, self.port)
