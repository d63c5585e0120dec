"""Telemetry builders shared by the store and ingest tests."""

from __future__ import annotations

import time

from iiot_core.model import SCHEMA_VERSION, Point, Quality, Telemetry


def now_ms() -> int:
    return int(time.time() * 1000)


def make_msg(
    device: str = "m1",
    seq: int = 1,
    ts: int | None = None,
    values: dict[str, float] | None = None,
    *,
    site: str = "s1",
    area: str = "a1",
    line: str = "l1",
    quality: dict[str, Quality] | None = None,
) -> Telemetry:
    """One telemetry message; default values are derived from ``seq`` so they differ."""
    t = now_ms() if ts is None else ts
    vals = values if values is not None else {"p_kw": float(seq), "e_kwh": seq * 10.0}
    q = quality or {}
    points = [Point(n, v, t, "", q.get(n, Quality.GOOD)) for n, v in vals.items()]
    return Telemetry(SCHEMA_VERSION, site, area, line, device, seq, t, points)
