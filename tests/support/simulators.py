"""Helpers for the simulator tests: a Modbus client, a test-side struct decoder, fixed starts."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.framer import FramerType

from simulators.plant import Plant
from simulators.profiles import FAULT, STATE_BUCKET_S, LineProfile, line_state, local_seconds

NOON = datetime(2025, 6, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def first_fault_after(start: datetime, line: LineProfile, seed: int = 1) -> datetime:
    """A time just inside the first 5-minute slot after ``start`` in which ``line`` is faulted."""
    tz = start.tzinfo if isinstance(start.tzinfo, ZoneInfo) else ZoneInfo("UTC")
    t = start.timestamp()
    while line_state(seed, line, t, local_seconds(t, tz)) != FAULT:
        t = (t // STATE_BUCKET_S + 1) * STATE_BUCKET_S
    return datetime.fromtimestamp(t + 1, tz)


FORMATS = {
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "uint64": "Q",
    "float32": "f",
    "float64": "d",
}


def decode(words: list[int], dtype: str, order: str) -> float:
    """Decode register words with struct, independently of simulators.encoding."""
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    pairs = [raw[i : i + 2] for i in range(0, len(raw), 2)]
    if order in ("CDAB", "DCBA"):
        pairs.reverse()
    if order in ("BADC", "DCBA"):
        pairs = [p[::-1] for p in pairs]
    return float(struct.unpack(">" + FORMATS[dtype], b"".join(pairs))[0])


@contextlib.asynccontextmanager
async def modbus_client(plant: Plant, device: str) -> AsyncIterator[AsyncModbusTcpClient]:
    """A connected pymodbus async client for ``device`` (socket or RTU framing)."""
    host, port, _unit, framer = plant.modbus_endpoint(device)
    client = AsyncModbusTcpClient(
        host,
        port=port,
        framer=FramerType.RTU if framer == "rtu" else FramerType.SOCKET,
        timeout=1,
        retries=0,
        reconnect_delay=0,
    )
    assert await client.connect()
    try:
        yield client
    finally:
        client.close()
