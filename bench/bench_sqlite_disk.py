"""Disk use of the embedded SQLite store per device-year, measured.

Writes HOURS of one simulated meter (POINTS points per poll, one poll every INTERVAL seconds,
values changing as a real meter's do) through the product's own SQLite writer, then prints the
file size per stored sample and extrapolated to one device-year, at 1 s and 10 s polling.

    .venv/bin/python bench/bench_sqlite_disk.py [--hours 6] [--points 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iiot_core.model import SCHEMA_VERSION, Point, Telemetry
from iiot_core.store import MEASUREMENT_TELEMETRY, open_writer

T0 = 1_772_400_000_000
YEAR_S = 365 * 86_400


async def fill(db: Path, hours: float, points: int) -> int:
    writer = open_writer(f"sqlite:///{db}?retention_days=0")
    polls, batch, n = int(hours * 3600), [], 0
    for s in range(polls):
        t = T0 + s * 1000
        pts = [Point(f"p{k}", 1000.0 + s * 0.01 * (k + 1) + (s % 7) * 0.1, t) for k in range(points)]
        batch.append((MEASUREMENT_TELEMETRY, Telemetry(SCHEMA_VERSION, "s", "a", "l", "meter", s, t, pts)))
        if len(batch) == 1000:
            n += await writer.write(batch)
            batch = []
    if batch:
        n += await writer.write(batch)
    await writer.close()
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=6)
    ap.add_argument("--points", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "zcf.db"
        rows = asyncio.run(fill(db, args.hours, args.points))
        size = sum(p.stat().st_size for p in Path(tmp).glob("zcf.db*"))
    per = size / rows
    print(f"{rows:,} samples in {size / 1e6:.1f} MB: {per:.1f} bytes per sample")
    for interval in (1, 10):
        year = per * args.points * YEAR_S / interval
        print(f"one device, {args.points} points every {interval:>2} s: {year / 1e9:.2f} GB per device-year")
    return 0


if __name__ == "__main__":
    sys.exit(main())
