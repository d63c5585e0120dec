"""Time-series store adapters: writers for ingest, readers for the operator API.

Open one with ``open_writer(url)`` / ``open_reader(url)``; URLs are described in
``iiot_core.store.url`` (``sqlite:///data/zcf.db``, ``influxdb-v1://host:8086/db``,
``influxdb-v2://token@host:8086/org/bucket``).

Series schema (InfluxDB line protocol; the SQLite store holds the same keys)::

    measurement  telemetry            device telemetry (zcf/v1/.../telemetry)
                 carbon               carbon engine results (zcf/v1/.../result)
    tags         site, area, line, device          the asset path, nothing else
    fields       <point name> = float              one per point of the message
                 <point name>_q = "bad"|"stale"|"estimated"   only when not good
                 seq = <int>i                      the message's per-device sequence number
    time         the point's source timestamp, ms precision

Why: series cardinality is one per device (tags never take per-sample values), so a
replayed sample (same series, same source time) overwrites itself. Unit and quality are
not tags: a unit is per point, not per line, and a quality that changes would split a
field over several series. Good quality, the overwhelming case, costs nothing; a missing
``<name>_q`` reads as good. Point names ``seq`` and ``*_q`` are reserved (ingest
dead-letters them) so that a field can never change type.
"""

from __future__ import annotations

from iiot_core.store.base import (
    MEASUREMENT_CARBON,
    MEASUREMENT_TELEMETRY,
    Bucket,
    History,
    LatestValue,
    Record,
    Selector,
    SeriesKey,
    StoreReader,
    StoreRejected,
    StoreWriter,
    is_outage,
)
from iiot_core.store.registry import READERS, WRITERS, open_reader, open_writer
from iiot_core.store.url import StoreUrl, parse_store_url

__all__ = [
    "MEASUREMENT_CARBON",
    "MEASUREMENT_TELEMETRY",
    "READERS",
    "WRITERS",
    "Bucket",
    "History",
    "LatestValue",
    "Record",
    "Selector",
    "SeriesKey",
    "StoreReader",
    "StoreRejected",
    "StoreUrl",
    "StoreWriter",
    "is_outage",
    "open_reader",
    "open_writer",
    "parse_store_url",
]
