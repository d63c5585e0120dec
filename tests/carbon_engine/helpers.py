"""Shared helpers for the carbon engine tests: feeding recorded telemetry lines into an engine."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from carbon_engine.engine import Engine
from carbon_engine.results import Outbound, WindowResult
from iiot_core.model import SCHEMA_VERSION, Point, Telemetry

DAY_MS = 86_400_000


def ms(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def telemetry(
    device: str, ts: int, points: dict[str, float], site: str = "plant1", seq: int = 0
) -> Telemetry:
    return Telemetry(
        schema=SCHEMA_VERSION,
        site=site,
        area="a",
        line="l",
        device=device,
        seq=seq,
        ts=ts,
        points=[Point(name=k, value=float(v), ts=ts) for k, v in points.items()],
    )


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def feed(engine: Engine, lines: Iterable[dict[str, Any]], flush: bool = True) -> list[Outbound]:
    """Play ``{"ts", "device", "points"}`` and ``{"advance"}`` lines; then flush every window."""
    out: list[Outbound] = []
    last = 0
    for i, line in enumerate(lines):
        if "advance" in line:
            last = ms(line["advance"])
            out += engine.advance(last)
        else:
            ts = ms(line["ts"])
            engine.ingest(telemetry(line["device"], ts, line["points"], seq=i))
            last = max(last, ts)
    if flush:
        out += engine.advance(last + 2 * DAY_MS)
    return out


def find(engine: Engine, node: str, size: str, start: int) -> WindowResult | None:
    return next((r for r in engine.results(node, size) if r.start == start), None)
