"""The sample model carried on the wire: one message per device poll, holding all its points.

Structs are msgspec structs: frozen, slotted and decoded with type checks in one pass.
``Point`` and ``Telemetry`` are not tracked by the cyclic garbage collector (``gc=False``):
they hold only scalars and a list of points, so they can never be part of a cycle, and
ingest keeps hundreds of thousands of them in its batches, which every collection would
otherwise walk (it tripled the cost of decoding a message).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

SCHEMA_VERSION = 1

# Sequence numbers and timestamps are stored as signed 64-bit integers (SQLite INTEGER, the
# InfluxDB ``i`` field type): a wider one is refused at decoding (cause ``schema``), the
# same on every store, instead of being stored by one store and refused by another.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class Quality(StrEnum):
    """Data quality of one value, as OPC UA status codes and Modbus reads map onto it."""

    GOOD = "good"
    BAD = "bad"
    STALE = "stale"
    ESTIMATED = "estimated"


class Point(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """One measured value. ``ts`` is the source timestamp in ms since the epoch, UTC.

    ``state``: on a state point, the name of the state whose code ``value`` is (or the text the
    device showed, when it named no known state). Optional and omitted when empty, so older
    decoders ignore it; the stores keep ``value`` only.
    """

    name: str
    value: float
    ts: Int64
    unit: str = ""
    quality: Quality = Quality.GOOD
    state: str = ""


class Telemetry(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """All the points of one device poll, with the asset path and a per-device sequence number.

    ``historical`` marks messages replayed from the edge buffer after an outage.
    """

    schema: int
    site: str
    area: str
    line: str
    device: str
    seq: Int64
    ts: Int64
    points: list[Point]
    historical: bool = False
    agent: str = ""


class DeviceStatus(msgspec.Struct, frozen=True, omit_defaults=True):
    """Retained status of a device or an edge agent; ``state`` is ``online`` or ``offline``."""

    schema: int
    state: str
    ts: int
    detail: str = ""
    last_seen: int = 0
