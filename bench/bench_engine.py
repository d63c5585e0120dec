"""Throughput of the carbon engine on one core, for a realistic plant.

500 electricity meters at 1 Hz (a grid incomer and 499 sub-meters over 10 areas x 5 lines)
plus 50 production counters, one hour of data, fed through the batch API
``Engine.ingest_arrays`` (channel index, timestamp, value) with ``advance`` after every batch,
so that windows are published as in service. The same arrays then go through a plain numpy
reduction (sort, per-channel diff, bincount) as the yardstick; the ratio is engine / numpy.
Also timed: the message paths the MQTT service uses. The same samples as one ``Telemetry``
per device poll, encoded and decoded with ``iiot_core.codec`` (msgspec structs as the service
sees them), fed with ``Engine.ingest_many`` per 1 s / 10 s batch and ``advance`` after each
(decoding itself is not timed); and, for comparison, ``Engine.ingest`` one message at a time.
Last, the same samples as multi-point messages, as an edge agent publishes a whole device poll:
each meter message also carries power, voltage and power factor and each counter message the
line speed, points the plant does not route (so they are skipped as unrouted); the rate counts
the routed samples, as in the other rows.

Run: .venv/bin/python bench/bench_engine.py [--minutes 60] [--batch-s 1 10 60] [--msg-batch-s 1 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carbon_engine.config import PlantCfg
from carbon_engine.engine import Engine
from carbon_engine.factors import load_library
from iiot_core.codec import decode_telemetry, encode
from iiot_core.model import SCHEMA_VERSION, Point, Telemetry

T0 = 1_772_400_000_000  # 2026-03-01T21:20Z


def plant(n_meters: int = 500, areas: int = 10, lines_per_area: int = 5) -> PlantCfg:
    """A plant with ``n_meters`` electricity meters and one production counter per line."""
    area_cfg = [
        {"id": f"a{a}", "lines": [{"id": f"l{a}_{k}"} for k in range(lines_per_area)]} for a in range(areas)
    ]
    meters: list[dict[str, object]] = [
        {
            "id": "grid",
            "device": "incomer",
            "point": "import_energy",
            "role": "grid_import",
            "carrier": "electricity",
        }
    ]
    n_lines = areas * lines_per_area
    for i in range(n_meters - 1):
        a, k = (i % n_lines) // lines_per_area, i % lines_per_area
        meters.append(
            {
                "id": f"m{i}",
                "device": f"meter-{i}",
                "point": "import_energy",
                "carrier": "electricity",
                "node": f"a{a}/l{a}_{k}",
                "parent": "grid",
                "max_rate": 2000,
            }
        )
    for a in range(areas):
        for k in range(lines_per_area):
            meters.append(
                {
                    "id": f"p{a}_{k}",
                    "device": f"plc-{a}-{k}",
                    "point": "production_count",
                    "role": "production",
                    "node": f"a{a}/l{a}_{k}",
                }
            )
    return PlantCfg.model_validate(
        {
            "site": {"id": "bench", "timezone": "Asia/Shanghai", "grid_region": "east"},
            "engine": {"publish_meters": False},
            "areas": area_cfg,
            "meters": meters,
        }
    )


def data(n_chan: int, seconds: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1 Hz samples of every channel, time-major (the order a gateway delivers them)."""
    kw = rng.uniform(5, 400, n_chan)
    steps = np.repeat((kw / 3600)[None, :], seconds, axis=0) * rng.uniform(0.8, 1.2, (seconds, n_chan))
    counters = 1000 + np.cumsum(steps, axis=0)
    ts = T0 + np.arange(seconds, dtype=np.int64)[:, None] * 1000 + rng.integers(0, 200, n_chan)[None, :]
    chan = np.broadcast_to(np.arange(n_chan, dtype=np.int64)[None, :], (seconds, n_chan))
    return chan.ravel().copy(), ts.ravel().copy(), counters.ravel().copy()


def run_engine(
    cfg: PlantCfg, lib: object, chan: np.ndarray, ts: np.ndarray, val: np.ndarray, batch: int
) -> tuple[float, Engine]:
    engine = Engine(cfg, lib)  # type: ignore[arg-type]
    t = time.perf_counter()
    for i in range(0, len(chan), batch):
        engine.ingest_arrays(chan[i : i + batch], ts[i : i + batch], val[i : i + batch])
        engine.advance(int(ts[min(i + batch, len(ts)) - 1]))
    return time.perf_counter() - t, engine


def run_numpy(chan: np.ndarray, ts: np.ndarray, val: np.ndarray, batch: int, n: int) -> float:
    """The yardstick: per batch, sort by (channel, ts), diff within channel, sum per channel."""
    t = time.perf_counter()
    total = np.zeros(n)
    for i in range(0, len(chan), batch):
        c, s, v = chan[i : i + batch], ts[i : i + batch], val[i : i + batch]
        order = np.lexsort((s, c))
        c, v = c[order], v[order]
        d = np.diff(v, prepend=v[0])
        d[np.r_[True, c[1:] != c[:-1]]] = 0
        total += np.bincount(c, weights=d, minlength=n)
    return time.perf_counter() - t


def messages(cfg: PlantCfg, chan: np.ndarray, ts: np.ndarray, val: np.ndarray) -> list[Telemetry]:
    """One decoded message per sample (a device poll with its one point), in arrival order."""
    devices = [(m.device, m.point) for m in cfg.meters]
    out = []
    for i, (c, t, v) in enumerate(zip(chan.tolist(), ts.tolist(), val.tolist(), strict=True)):
        d, p = devices[c]
        msg = Telemetry(SCHEMA_VERSION, "bench", "a", "l", d, i, t, [Point(name=p, value=v, ts=t)])
        out.append(decode_telemetry(encode(msg)))
    return out


EXTRA_POINTS = {
    "import_energy": ("active_power", "voltage", "power_factor"),
    "production_count": ("line_speed",),
}


def multi_messages(cfg: PlantCfg, chan: np.ndarray, ts: np.ndarray, val: np.ndarray) -> list[Telemetry]:
    """One decoded message per device poll with all its points, of which the plant routes one."""
    devices = [(m.device, m.point) for m in cfg.meters]
    out = []
    for i, (c, t, v) in enumerate(zip(chan.tolist(), ts.tolist(), val.tolist(), strict=True)):
        d, p = devices[c]
        pts = [Point(name=p, value=v, ts=t)] + [Point(name=x, value=1.0, ts=t) for x in EXTRA_POINTS[p]]
        msg = Telemetry(SCHEMA_VERSION, "bench", "a", "l", d, i, t, pts)
        out.append(decode_telemetry(encode(msg)))
    return out


def run_many(cfg: PlantCfg, lib: object, msgs: list[Telemetry], batch: int) -> tuple[float, Engine]:
    """``ingest_many`` per batch of messages, ``advance`` after each, as the service does."""
    engine = Engine(cfg, lib)  # type: ignore[arg-type]
    t = time.perf_counter()
    for i in range(0, len(msgs), batch):
        part = msgs[i : i + batch]
        engine.ingest_many(part)
        engine.advance(part[-1].ts)
    return time.perf_counter() - t, engine


def run_messages(cfg: PlantCfg, lib: object, msgs: list[Telemetry], per_advance: int) -> float:
    """Samples per second through ``ingest(Telemetry)``, one call per message."""
    engine = Engine(cfg, lib)  # type: ignore[arg-type]
    t = time.perf_counter()
    for i, m in enumerate(msgs):
        engine.ingest(m)
        if i % per_advance == per_advance - 1:
            engine.advance(m.ts)
    return len(msgs) / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--batch-s", type=int, nargs="*", default=[1, 10, 60])
    ap.add_argument("--msg-batch-s", type=int, nargs="*", default=[1, 10])
    args = ap.parse_args()
    cfg = plant()
    lib = load_library("Asia/Shanghai", None, "east")
    n_chan = len(cfg.meters)
    chan, ts, val = data(n_chan, args.minutes * 60, np.random.default_rng(7))
    print(f"command: .venv/bin/python bench/bench_engine.py --minutes {args.minutes}")
    print(
        f"plant: {n_chan - 50} electricity meters + 50 production counters at 1 Hz; "
        f"{len(chan):,} samples ({args.minutes} min); numpy {np.__version__}"
    )
    for batch_s in args.batch_s:
        batch = batch_s * n_chan
        t_eng, engine = run_engine(cfg, lib, chan, ts, val, batch)
        t_np = run_numpy(chan, ts, val, batch, n_chan)
        eng_rate, np_rate = len(chan) / t_eng, len(chan) / t_np
        print(
            f"batch {batch_s:>3} s ({batch:>6} samples): engine {eng_rate / 1e6:6.2f} M samples/s "
            f"({t_eng:5.2f} s, {engine.stats['samples']:,} samples, "
            f"{len(engine.results())} results kept) | plain numpy {np_rate / 1e6:6.2f} M samples/s | "
            f"ratio {eng_rate / np_rate:.2f}"
        )
    msgs = messages(cfg, chan, ts, val)
    for batch_s in args.msg_batch_s:
        batch = batch_s * n_chan
        t_msg, engine = run_many(cfg, lib, msgs, batch)
        t_np = run_numpy(chan, ts, val, batch, n_chan)
        rate, np_rate = len(msgs) / t_msg, len(chan) / t_np
        print(
            f"messages, ingest_many per {batch_s:>3} s ({batch:>6} msgs): {rate / 1e6:6.2f} M samples/s "
            f"({t_msg:5.2f} s, {engine.stats['samples']:,} samples) | plain numpy {np_rate / 1e6:6.2f} M "
            f"samples/s | ratio {rate / np_rate:.2f}"
        )
    one_rate = run_messages(cfg, lib, msgs[: 10 * 60 * n_chan], n_chan)
    print(f"messages, ingest one by one (1 point each): {one_rate / 1e3:.0f} k samples/s")
    del msgs
    multi = multi_messages(cfg, chan, ts, val)
    n_points = sum(len(m.points) for m in multi)
    for batch_s in args.msg_batch_s:
        t_msg, engine = run_many(cfg, lib, multi, batch_s * n_chan)
        rate, point_rate = len(chan) / t_msg, n_points / t_msg
        print(
            f"multi-point messages ({n_points / len(multi):.1f} points each, 1 routed), ingest_many per "
            f"{batch_s:>3} s: {rate / 1e6:6.2f} M samples/s ({point_rate / 1e6:.2f} M points/s, "
            f"{t_msg:5.2f} s, {engine.stats['samples']:,} samples, {engine.stats['unrouted']:,} unrouted)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
