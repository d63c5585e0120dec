"""Read planning: group the points of a Modbus device into as few requests as the rules allow.

Points of the same register kind whose addresses are close (at most ``max_gap`` unused
registers in between) share one request, up to the protocol limit per request: 125
registers (function codes 3/4) or 2000 bits (function codes 1/2). A device that refuses a
merged request because a register in a gap is not implemented gets it ``split`` per point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from iiot_core.registers import REGISTER_COUNT, RegisterKind

MAX_REGISTERS = 125
MAX_BITS = 2000


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a point needs read: ``width`` registers (or bits) from ``address`` of ``kind``."""

    key: str
    kind: RegisterKind
    address: int
    width: int


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """One Modbus read request and the points it serves, with their offsets in the response."""

    kind: RegisterKind
    address: int
    count: int
    points: tuple[tuple[str, int], ...]  # (point key, offset from ``address``)


def wanted(key: str, kind: RegisterKind, address: int, dtype: str) -> Wanted:
    """A Wanted for a point of ``dtype``; bits are always one wide."""
    width = 1 if kind in ("coil", "discrete") else REGISTER_COUNT[dtype]
    return Wanted(key, kind, address, width)


def plan_reads(points: Iterable[Wanted], max_gap: int) -> list[ReadRequest]:
    """Requests covering every point: contiguous runs merged across gaps <= ``max_gap``."""
    ordered = sorted(points, key=lambda w: (w.kind, w.address, w.width))
    requests: list[ReadRequest] = []
    run: list[Wanted] = []
    start = end = 0
    for w in ordered:
        limit = MAX_BITS if w.kind in ("coil", "discrete") else MAX_REGISTERS
        fits = (
            run
            and run[0].kind == w.kind
            and w.address - end <= max_gap
            and max(end, w.address + w.width) - start <= limit
        )
        if not fits:
            if run:
                requests.append(_request(run, start, end))
            run, start, end = [], w.address, w.address
        run.append(w)
        end = max(end, w.address + w.width)
    if run:
        requests.append(_request(run, start, end))
    return requests


def _request(run: list[Wanted], start: int, end: int) -> ReadRequest:
    return ReadRequest(run[0].kind, start, end - start, tuple((w.key, w.address - start) for w in run))


def split(req: ReadRequest, widths: dict[str, int]) -> list[ReadRequest]:
    """One request per point of ``req`` (``widths``: registers or bits per point key)."""
    return [ReadRequest(req.kind, req.address + off, widths[key], ((key, 0),)) for key, off in req.points]
