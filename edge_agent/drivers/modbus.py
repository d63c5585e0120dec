"""Modbus driver (TCP, RTU over TCP, RTU on a serial port): planned reads, decoded points."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from edge_agent.config_devices import ModbusDevice, ModbusPoint
from edge_agent.decode import WordDecoder, decode_bit, words_to_bytes
from edge_agent.drivers.base import DriverContext, OnceLogger
from edge_agent.drivers.modbus_bus import (
    ILLEGAL_ADDRESS,
    ModbusBus,
    Reply,
    RequestRefused,
    acquire_bus,
    release_bus,
)
from edge_agent.planning import ReadRequest, plan_reads, split, wanted
from edge_agent.states import StateMap
from iiot_core.clock import now_ms
from iiot_core.errors import DriverError
from iiot_core.model import Point, Quality

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A point ready for the hot path."""

    name: str
    unit: str
    bits: bool
    decoder: WordDecoder
    states: StateMap | None  # a state point: the value must be one of its codes


def _compile(device: str, p: ModbusPoint) -> _Compiled:
    states = StateMap(device, p.name, p.states) if p.states is not None else None
    decoder = WordDecoder(p.type, p.order, p.scale, p.offset)
    return _Compiled(p.name, p.unit, p.reg in ("coil", "discrete"), decoder, states)


class ModbusDriver:
    """Reads one Modbus unit through the bus shared with the other units on its endpoint."""

    def __init__(self, dev: ModbusDevice, ctx: DriverContext) -> None:
        self.dev = dev
        self._ctx = ctx
        self._points = {p.name: _compile(dev.name, p) for p in dev.points}
        wants = [wanted(p.name, p.reg, p.address, p.type) for p in dev.points]
        self._widths = {w.key: w.width for w in wants}
        self.plan: list[ReadRequest] = plan_reads(wants, dev.max_gap)
        self._bus: ModbusBus | None = None
        self._once = OnceLogger(log)

    async def connect(self) -> None:
        if self._bus is None:
            try:
                self._bus = acquire_bus(self._ctx.buses, self.dev)
            except (RuntimeError, ImportError, ValueError, OSError) as exc:  # e.g. pyserial missing
                raise DriverError(f"device {self.dev.name}: cannot create client: {exc}") from exc
        await self._bus.connect(self.dev.timeout_s)

    async def read(self) -> list[Point]:
        """One poll: every planned request; refused requests leave their points out.

        A merged request refused with "illegal data address" is split into one request per
        point, for this poll and every later one.
        """
        bus = self._bus
        if bus is None:
            raise DriverError(f"device {self.dev.name} is not connected")
        points: list[Point] = []
        refused: list[RequestRefused] = []
        pending = list(self.plan)
        while pending:
            req = pending.pop(0)
            try:
                reply = await bus.read(req.kind, req.address, req.count, self.dev.unit_id, self.dev.timeout_s)
            except RequestRefused as exc:
                if exc.code == ILLEGAL_ADDRESS and len(req.points) > 1:
                    pending[:0] = self._split(req)
                else:
                    refused.append(exc)
                continue
            self._decode(req, reply, now_ms(), points)
        if refused and not points:
            raise refused[0]
        self._report_partial(refused)
        return points

    def _split(self, req: ReadRequest) -> list[ReadRequest]:
        # A register in a gap of the merged range is not implemented: the device would refuse
        # the merged read on every poll, so the split replaces it in the plan for good.
        parts = split(req, self._widths)
        at = self.plan.index(req)
        self.plan[at : at + 1] = parts
        log.warning(
            "device %s: %s %d-%d refused as one read (illegal data address); "
            "reading its %d points one by one from now on",
            self.dev.name,
            req.kind,
            req.address,
            req.address + req.count - 1,
            len(parts),
        )
        return parts

    def _decode(self, req: ReadRequest, reply: Reply, ts: int, out: list[Point]) -> None:
        buf = b"" if req.kind in ("coil", "discrete") else words_to_bytes(reply.words)
        for key, off in req.points:
            c = self._points[key]
            if c.bits:
                value = decode_bit(reply.bits, off, c.decoder.scale, c.decoder.offset)
            else:
                value = c.decoder.value(buf, off)
            if not math.isfinite(value):
                # Never publish NaN/inf: the point is left out of this poll (see README).
                self._once.problem(
                    f"nan:{key}",
                    "non-finite value left out device=%s point=%s value=%s",
                    self.dev.name,
                    key,
                    value,
                )
                self._ctx.left_out[(self.dev.name, "non_finite")] += 1
                continue
            self._once.cleared(f"nan:{key}", "finite again device=%s point=%s", self.dev.name, key)
            if c.states is not None:
                got = c.states.recognise(value)
                quality = Quality.GOOD if got.known else Quality.BAD
                out.append(Point(key, got.code, ts, c.unit, quality, got.name))
                continue
            out.append(Point(key, value, ts, c.unit))

    def _report_partial(self, refused: list[RequestRefused]) -> None:
        if refused:
            self._once.problem(
                "refused",
                "device %s: %d request(s) refused, points left out: %s",
                self.dev.name,
                len(refused),
                refused[0],
            )
        else:
            self._once.cleared("refused", "device %s: all requests answered again", self.dev.name)

    @property
    def unrecognised_states(self) -> int:
        return sum(c.states.unrecognised for c in self._points.values() if c.states is not None)

    async def close(self) -> None:
        if self._bus is not None:
            release_bus(self._ctx.buses, self._bus)
            self._bus = None
