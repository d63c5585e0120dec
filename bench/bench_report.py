"""Time to recompute a period's hourly ledger from stored telemetry, against the store's read rate.

Two plants, each generated into SQLite and into a real InfluxDB 1.6 (started on a free port)
through the product's own store writers, then recomputed with
``carbon_engine.accounts.ledger.ledger_from_store`` (raw pages replayed through ``EngineCore``):

- the example plant (``deploy/examples/plant.toml``): its 6 devices at 1 Hz with every point the
  simulators publish (34 points a second, 10 of them meter points), ``--days`` of it (the issue
  asks for 365 days: generating a year takes hours here, so the year is extrapolated linearly
  from the days generated, and both figures are printed);
- 500 meters (a grid incomer and 499 sub-meters on 50 ten-channel gateways, 10 areas x 5
  lines) at 1 Hz for ``--hours`` (extrapolated to a 30-day month).

For each, in the same run: the store's raw read rate (``StoreReader.raw`` over the same range
and pages, samples counted, nothing else done) and the ledger's time; the ratio ledger / read
says what the replay costs on top of reading. Order: read, ledger, read again; the ratio uses
the second read (the cache state the ledger saw), the first is printed too. InfluxDB answers
data this fresh partly from its in-memory cache, not from compacted TSM files, and SQLite's
file is in the OS page cache: both are optimistic for a store much larger than memory.

Run: .venv/bin/python bench/bench_report.py [--days 1] [--hours 3] [--stores sqlite influxdb-v1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carbon_engine.accounts.ledger import lead_ms, ledger_from_store, page_ms
from carbon_engine.accounts.periods import Period
from carbon_engine.config import PlantCfg, load_plant
from carbon_engine.factors import FactorLibrary, load_library
from iiot_core.model import SCHEMA_VERSION, Point, Telemetry
from iiot_core.store import MEASUREMENT_TELEMETRY, Selector, open_reader, open_writer
from tests.support.plant_feed import PlantFeed
from tests.support.servers import Influxd, influxd

ROOT = Path(__file__).resolve().parents[1]
START_MS = 1_793_548_800_000  # 2026-11-01T16:00Z: 2026-11-02 00:00 in Shanghai
DAY_MS = 86_400_000
BATCH = 2_000  # messages per write


def example_plant() -> tuple[PlantCfg, FactorLibrary]:
    path = ROOT / "deploy" / "examples" / "plant.toml"
    plant = load_plant(path)
    return plant, load_library(plant.site.timezone, None, plant.site.grid_region, str(path))


def big_plant(areas: int = 10, lines: int = 5, per_gateway: int = 10) -> PlantCfg:
    """500 meters: a grid incomer and 499 sub-meters, ``per_gateway`` channels per gateway device."""
    meters: list[dict[str, object]] = [
        {"id": "grid", "device": "incomer", "point": "import_energy", "role": "grid_import"}
        | {"carrier": "electricity", "poll_interval_s": 1}
    ]
    for i in range(499):
        g = i // per_gateway
        line = g % (areas * lines)
        meters.append(
            {
                "id": f"m{i}",
                "device": f"gw-{g}",
                "point": f"c{i % per_gateway}",
                "carrier": "electricity",
                "node": f"a{line // lines}/l{line}",
                "parent": "grid",
                "max_rate": 2000,
                "poll_interval_s": 1,
            }
        )
    area_cfg = [
        {"id": f"a{a}", "lines": [{"id": f"l{a * lines + k}"} for k in range(lines)]} for a in range(areas)
    ]
    return PlantCfg.model_validate(
        {
            "site": {"id": "bench", "timezone": "Asia/Shanghai", "grid_region": "east"},
            "engine": {"publish_meters": False},
            "areas": area_cfg,
            "meters": meters,
        }
    )


def example_messages(start_ms: int, end_ms: int) -> Iterator[Telemetry]:
    """Every device of the example plant once a second, as the simulators publish them."""
    feed = PlantFeed(start_ms / 1000, now_s=start_ms / 1000)
    for t in range(start_ms, end_ms, 1000):
        yield from feed.messages(t / 1000)


def big_messages(plant: PlantCfg, start_ms: int, end_ms: int, seed: int = 1) -> Iterator[Telemetry]:
    """One message per gateway (and the incomer) a second: counters at 5..400 kW each."""
    rng = np.random.default_rng(seed)
    subs = [m for m in plant.meters if m.id != "grid"]
    kw = rng.uniform(5, 400, len(subs))
    counters, grid = 1000.0 + rng.uniform(0, 1e5, len(subs)), 5e6
    devices: dict[str, list[int]] = {}
    for i, m in enumerate(subs):
        devices.setdefault(m.device, []).append(i)
    seq = 0
    for t in range(start_ms, end_ms, 3_600_000):  # an hour of increments at a time
        n = min(3600, (end_ms - t) // 1000)
        steps = (kw / 3600)[None, :] * rng.uniform(0.8, 1.2, (n, len(subs)))
        values = counters + np.cumsum(steps, axis=0)
        grid_np = grid + np.cumsum(steps.sum(axis=1) * 1.05)
        grid_v = grid_np.tolist()
        counters, grid = values[-1], float(grid_np[-1])
        rows = values.tolist()
        for s in range(n):
            ts, row, seq = t + s * 1000, rows[s], seq + 1
            pts = [Point("import_energy", grid_v[s], ts, "kWh")]
            yield Telemetry(SCHEMA_VERSION, "bench", "utilities", "incomer", "incomer", seq, ts, pts)
            for device, idx in devices.items():
                pts = [Point(subs[i].point, row[i], ts, "kWh") for i in idx]
                yield Telemetry(SCHEMA_VERSION, "bench", "a", "l", device, seq, ts, pts)


async def fill(url: str, msgs: Iterator[Telemetry]) -> tuple[int, float]:
    """Write every message through the store's writer; (points, seconds)."""
    writer = open_writer(url)
    await writer.check()
    t0, n, batch = time.perf_counter(), 0, []
    try:
        for m in msgs:
            batch.append(m)
            if len(batch) == BATCH:
                n += await writer.write([(MEASUREMENT_TELEMETRY, x) for x in batch])
                batch = []
        if batch:
            n += await writer.write([(MEASUREMENT_TELEMETRY, x) for x in batch])
    finally:
        await writer.close()
    return n, time.perf_counter() - t0


async def read_all(url: str, plant: PlantCfg, period: Period) -> tuple[int, float]:
    """The ledger's raw read alone (same selection, range and pages): (samples, seconds)."""
    reader = open_reader(url)
    lead = lead_ms(plant)
    sel = Selector(
        MEASUREMENT_TELEMETRY, site=plant.site.id, fields=tuple(sorted({m.point for m in plant.meters}))
    )
    try:
        t0, n = time.perf_counter(), 0
        async for page in reader.raw(sel, period.start_ms - lead, period.end_ms + lead, page_ms(plant)):
            n += len(page)
        return n, time.perf_counter() - t0
    finally:
        await reader.close()


async def measure(url: str, plant: PlantCfg, lib: FactorLibrary, period: Period) -> dict[str, float]:
    """Raw read, the ledger, raw read again: the ledger is compared with the read after it
    (the same cache state; the first read after writing finds less in the store's caches)."""
    read, cold_s = await read_all(url, plant, period)
    reader = open_reader(url)
    try:
        t0 = time.perf_counter()
        ledger = await ledger_from_store(plant, lib, reader, period, period.end_ms)
        ledger_s = time.perf_counter() - t0
    finally:
        await reader.close()
    again, warm_s = await read_all(url, plant, period)
    if not ledger.samples == read == again:
        raise RuntimeError(f"ledger read {ledger.samples} samples, the raw reads {read} and {again}")
    return {
        "samples": read,
        "cold_s": cold_s,
        "read_s": warm_s,
        "ledger_s": ledger_s,
        "hours": len(ledger.hours),
    }


def report(
    label: str, store: str, written: tuple[int, float], m: dict[str, float], scale: float, unit: str
) -> None:
    pts, wsec = written
    print(
        f"{label} | {store} | wrote {pts:,} points in {wsec:.1f} s | raw read {m['samples']:,.0f} samples: "
        f"first {m['cold_s']:.2f} s, again {m['read_s']:.2f} s = {m['samples'] / m['read_s']:,.0f}/s | "
        f"ledger {m['ledger_s']:.2f} s = {m['samples'] / m['ledger_s']:,.0f}/s "
        f"({m['hours']:,.0f} node-hours) | "
        f"ledger/read {m['ledger_s'] / m['read_s']:.2f} | {unit} (x{scale:.0f}, linear): "
        f"ledger ~{m['ledger_s'] * scale / 60:.1f} min, read ~{m['read_s'] * scale / 60:.1f} min"
    )


async def run(args: argparse.Namespace, tmp: Path, influx: Influxd | None) -> None:
    urls = {"sqlite": f"sqlite:///{tmp}/%s.db?retention_days=0"}
    if influx is not None:
        urls["influxdb-v1"] = influx.store_url()
    ex_plant, lib = example_plant()
    cases = [
        ("example plant, 6 devices", ex_plant, int(args.days * DAY_MS), 365 * DAY_MS, "year"),
        ("500 meters", big_plant(), int(args.hours * 3_600_000), 30 * DAY_MS, "month"),
    ]
    for label, plant, span, target, unit in cases:
        period = Period(f"bench-{span // 60_000}min", "month", START_MS, START_MS + span, plant.site.timezone)
        lead = lead_ms(plant)
        # Linear in the samples read: the period plus its lead-in and lead-out, both ways.
        scale = (target + 2 * lead) / (span + 2 * lead)
        for store in args.stores:
            if store not in urls:
                continue
            url = urls[store] % label.split()[0] if store == "sqlite" else urls[store]
            lo, hi = period.start_ms - lead, period.end_ms + lead
            msgs = example_messages(lo, hi) if plant is ex_plant else big_messages(plant, lo, hi)
            written = await fill(url, msgs)
            report(label, store, written, await measure(url, plant, lib, period), scale, unit)
            if store == "influxdb-v1" and influx is not None:
                influx.query("DROP SERIES FROM telemetry")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=1.0, help="days of the example plant (year extrapolated)")
    ap.add_argument(
        "--hours", type=float, default=3.0, help="hours of the 500-meter plant (month extrapolated)"
    )
    ap.add_argument(
        "--stores", nargs="+", default=["sqlite", "influxdb-v1"], choices=["sqlite", "influxdb-v1"]
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "influxdb-v1" in args.stores:
            (tmp / "influx").mkdir()
            with influxd(tmp / "influx") as server:
                server.query("CREATE DATABASE zcf")
                asyncio.run(run(args, tmp, server))
        else:
            asyncio.run(run(args, tmp, None))


if __name__ == "__main__":
    main()
