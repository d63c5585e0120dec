"""The streaming computation: samples -> intervals -> minute pieces -> windows -> results.

One way in for messages, ``ingest_many`` (routed in C-level passes, ``routing.py``), and one
for arrays, ``ingest_arrays``; everything after routing runs in numpy. ``advance_windows(now)``
moves the watermark and emits due windows. ``to_state``/``from_state`` carry the state across a
restart. Not thread-safe: ``Engine`` owns one and serialises access.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from carbon_engine.accounting import Accountant, contract_rates, meter_coverage
from carbon_engine.config import PlantCfg
from carbon_engine.energy import MIN_MS, split_minutes
from carbon_engine.factors import FactorLibrary
from carbon_engine.line_states import LineStates, compile_lines
from carbon_engine.meters import Intervals, MeterState
from carbon_engine.results import ResultHistory, WindowResult, to_results
from carbon_engine.routing import Routed, by_device, route_batch
from carbon_engine.topology import Topology, build
from carbon_engine.trace import Tracer, merge
from carbon_engine.windows import SIZES_MS, Acc, Calendar, WindowStore
from iiot_core.errors import ConfigError
from iiot_core.model import Telemetry

log = logging.getLogger(__name__)

MAX_BUFFER = 200_000
_DAY_MS = 86_400_000
_SITE = attrgetter("site")
_NEVER = 2**62


class EngineCore:
    """Event-time accounting of one site; feed with ``ingest``/``ingest_arrays``, then ``advance``."""

    def __init__(self, plant: PlantCfg, library: FactorLibrary) -> None:
        self.plant = plant
        self.library = library
        self.topo: Topology = build(plant, library)
        self._tables = by_device(self.topo.route)
        e = plant.engine
        self.lateness_ms = int(e.allowed_lateness_s * 1000)
        self.delay_ms = int(e.publish_delay_s * 1000)
        self.idle_ms = int(e.idle_close_s * 1000)
        self.skew_ms = int(e.max_clock_skew_s * 1000)
        self.calendar = Calendar(plant.site.timezone)
        self.accountant = Accountant(
            self.topo,
            contract_rates(plant.contracts, plant.site.timezone),
            plant.site.onsite_location_based == "zero",
        )
        self.tracer = Tracer(self.topo, library, plant.site.onsite_location_based == "zero")
        self.line_states = _line_states(plant, self.topo, self.accountant)
        self.accountant.add_states(self.line_states)
        slots = self.line_states.slots
        self.windows = WindowStore(self.topo.n, self.calendar, list(e.windows), self.lateness_ms, slots)
        self.meters = MeterState(self.topo, plant, self.windows.horizon)
        self.history = ResultHistory()
        self.due_coverage: list[tuple[str, int, np.ndarray]] = []  # meters' coverage of the windows just due
        self.max_ts = -1
        self.min_ts = -1
        self.now_ms = 0
        self.last_arrival_ms = 0
        self.stats: dict[str, int] = {
            "samples": 0,
            "unrouted": 0,
            "bad_quality": 0,
            "other_site": 0,
            "line_state": 0,
        }
        # Batches from ingest_many wait as arrays, in arrival order, until the next flush.
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._chunked = 0
        self._buf_low = _NEVER  # earliest event time the buffered samples can change
        self._late_buffered = False
        self._buf_last = self.meters.last_ts.copy()  # each channel's newest sample, buffered or not
        self._fresh = False
        self._pruned_minute = -1
        self._factor_cache: OrderedDict[int, tuple[np.ndarray, list[str | None]]] = OrderedDict()

    # -- feeding ------------------------------------------------------------------------------

    def ingest_many(self, msgs: Sequence[Telemetry], now_ms: int | None = None) -> Sequence[Telemetry]:
        """Route the points of ``msgs`` (in order) to channels, buffered until the next flush.

        Returns the messages of this site."""
        site = self.topo.site
        if list(map(_SITE, msgs)).count(site) != len(msgs):
            mine = [m for m in msgs if m.site == site]
            self.stats["other_site"] += len(msgs) - len(mine)
            msgs = mine
        if not msgs:
            return msgs
        r = route_batch(self._tables, msgs)
        states = self.line_states.observe(msgs)  # state points are no meter's: routed apart
        self.stats["line_state"] += states
        self.stats["unrouted"] += r.unrouted - states
        self.stats["bad_quality"] += r.bad_quality
        self._buffer(r)
        self._arrived(now_ms)
        return msgs

    def _buffer(self, r: Routed) -> None:
        """Append to the buffer; a flush at ``MAX_BUFFER`` comes after the same message in any batching."""
        room, n = MAX_BUFFER - self._chunked, len(r.chan)
        if n < room:
            self._add(r.chan, r.ts, r.value)
            return
        ends, done = r.ends(), 0
        while True:
            j = int(np.searchsorted(ends, done + room, side="left"))
            stop = n if j == len(ends) else int(ends[j])
            self._add(r.chan[done:stop], r.ts[done:stop], r.value[done:stop])
            if j == len(ends):
                return
            self.flush()
            done, room = stop, MAX_BUFFER

    def _add(self, chan: np.ndarray, ts: np.ndarray, val: np.ndarray) -> None:
        if not len(chan):
            return
        # A late sample (not newer than its channel's last, in arrival order) makes the next
        # advance process the buffer, as every advance did before samples waited for a minute.
        self._late_buffered = self._late_buffered or _late(chan, ts, self._buf_last)
        self._chunks.append((chan, ts, val))
        self._chunked += len(chan)
        self.stats["samples"] += len(chan)
        low = int(ts.min())
        self.max_ts = max(self.max_ts, int(ts.max()))
        self.min_ts = low if self.min_ts < 0 else min(self.min_ts, low)
        # Where the earliest interval these samples close may start: the channels' last samples.
        self._buf_low = min(self._buf_low, low, int(self.meters.last_ts[chan].min()))
        np.maximum.at(self._buf_last, chan, ts)

    def ingest_arrays(self, chan: np.ndarray, ts: np.ndarray, value: np.ndarray) -> None:
        """Batch ingest: channel indices, source timestamps (ms) and raw values of the points."""
        self._add(chan.astype(np.int64), ts.astype(np.int64), value.astype(np.float64))
        if self._chunked >= MAX_BUFFER:
            self.flush()
        self._arrived(None)

    def ingest_states(self, line: np.ndarray, ts: np.ndarray, code: np.ndarray) -> None:
        """Batch ingest of line-state samples: line index (``line_states.index``), ts (ms), code."""
        if len(line):
            self.line_states.observe_arrays(
                line.astype(np.int64), ts.astype(np.int64), code.astype(np.float64)
            )
            self.stats["line_state"] += len(line)

    def _arrived(self, now_ms: int | None) -> None:
        """Arrival time for the idle clock: given, or else the time of the next ``advance``."""
        if now_ms is None:
            self._fresh = True
        else:
            self.last_arrival_ms = now_ms

    def flush(self) -> None:
        """Process the buffered samples into the windows (``advance_windows`` decides when)."""
        if not self._chunks:
            return
        parts, self._chunks, self._chunked = self._chunks, [], 0
        self._buf_low = _NEVER
        self._late_buffered = False
        if len(parts) == 1:
            chan, ts, val = parts[0]
        else:
            chan, ts, val = (np.concatenate([p[i] for p in parts]) for i in range(3))
        self._process(chan, ts, val)
        self._buf_last = self.meters.last_ts.copy()

    def _process(self, chan: np.ndarray, ts: np.ndarray, val: np.ndarray) -> None:
        iv = self.meters.process(chan, ts, val * self.topo.scale[chan])
        self._accumulate(iv)

    def _accumulate(self, iv: Intervals) -> None:
        if len(iv.chan) == 0:
            return
        cutoff = self.windows.watermark - self.lateness_ms - 2 * _DAY_MS
        pieces = split_minutes(iv.chan, iv.t0, iv.t1, iv.qty, iv.est, cutoff, iv.cov, iv.gaps)
        if len(pieces.chan) == 0:
            return
        n, topo = self.topo.n, self.topo
        uniq, inv = np.unique(pieces.minute, return_inverse=True)
        fmat, tags = self._factors(uniq)
        c = pieces.chan
        floc = fmat[inv, topo.loc_slot[c]] * topo.mult[c]
        frm = fmat[inv, topo.rm_slot[c]] * topo.mult[c]
        key = inv * n + c
        size = len(uniq) * n

        def sums(w: np.ndarray) -> np.ndarray:
            return np.bincount(key, weights=w, minlength=size).reshape(len(uniq), n)

        q, e, lo, rm = sums(pieces.qty), sums(pieces.est), sums(pieces.qty * floc), sums(pieces.qty * frm)
        cov, gaps = sums(pieces.cov), sums(pieces.gaps)
        self.meters.guard.add(uniq, q - e)
        used = self.tracer.minutes(inv, c, pieces.qty, tags)
        st = self.line_states.window_sums(
            iv, cutoff, uniq, lambda u, ch: fmat[u, topo.loc_slot[ch]] * topo.mult[ch]
        )
        for u, minute in enumerate(uniq.tolist()):
            self.windows.add(
                minute, q[u], e[u], lo[u], rm[u], cov[u], gaps[u], used[u], None if st is None else st[u]
            )

    def _factors(self, minutes: np.ndarray) -> tuple[np.ndarray, list[list[str | None]]]:
        """Factor values per minute and slot, cached: a factor rarely changes within hours."""
        got: dict[int, tuple[np.ndarray, list[str | None]]] = {}
        missing = []
        for m in minutes.tolist():
            hit = self._factor_cache.get(m)
            if hit is None:
                missing.append(m)
            else:
                got[m] = hit
        if missing:
            mat, used = self.library.matrix(self.topo.slots, np.array(missing, dtype=np.int64))
            for i, m in enumerate(missing):
                got[m] = self._factor_cache[m] = (mat[i], used[i])
            # Trimmed after the lookups: one interval can span more minutes than the cache holds.
            while len(self._factor_cache) > 10_000:
                self._factor_cache.popitem(last=False)
        rows = [got[m][0] for m in minutes.tolist()]
        return np.array(rows), [got[m][1] for m in minutes.tolist()]

    # -- time ---------------------------------------------------------------------------------

    def watermark_for(self, now_ms: int) -> int:
        """Event-time watermark; when input stops, it keeps moving at the pace of the clock."""
        if self.max_ts < 0:
            return -1
        wm = min(self.max_ts, now_ms + self.skew_ms) - self.delay_ms
        idle = now_ms - self.last_arrival_ms - self.idle_ms
        return wm + max(0, idle)

    def advance_windows(self, now_ms: int) -> list[WindowResult]:
        """Move the watermark, compute due windows, close expired ones; new results out.

        Buffered samples are processed only when they can change a window that is due: when the
        watermark enters a new minute, or when they reach back before the minute it is in. Until
        then they wait, so that meters and windows work on a minute's samples at a time.
        """
        self.now_ms = max(self.now_ms, now_ms)
        if self._fresh:
            self._fresh = False
            self.last_arrival_ms = self.now_ms
        old = self.windows.watermark
        new = max(old, self.watermark_for(now_ms))
        if self._chunks and (
            self._late_buffered or new // MIN_MS != old // MIN_MS or self._buf_low < old // MIN_MS * MIN_MS
        ):
            self.flush()
        self.windows.watermark = new
        self.meters.guard.close(new)
        out: list[WindowResult] = []
        self.due_coverage = []
        for acc in self.windows.due():
            acc.revision += 1
            acc.dirty = False
            out += self.compute(acc)
            cov = meter_coverage(acc, self._spans(acc.start, acc.end, False))
            self.due_coverage.append((acc.size, acc.end, cov))
        self.windows.close()
        if self.windows.watermark // 60_000 != self._pruned_minute:
            self._pruned_minute = self.windows.watermark // 60_000  # spans expire by the minute
            self.meters.prune(self.windows.watermark)
            self.line_states.prune(self.windows.watermark - self.lateness_ms - 2 * _DAY_MS)
        for r in out:
            self.history.put(r)
        return out

    def compute(
        self, acc: Acc, start: int | None = None, end: int | None = None, live: bool = False
    ) -> list[WindowResult]:
        """Results of a window; rates (power, certificate cover) over the part the data covers.

        ``live``: a window still filling, whose coverage counts up to each meter's newest reading."""
        start = acc.start if start is None else start
        end = acc.end if end is None else end
        # Nothing is known before the first sample: a window the data starts inside (the first
        # after a cold start) averages over the covered part, not the whole window.
        covered_from = max(start, min(self.min_ts, end - 1)) if self.min_ts >= 0 else start
        m = self.accountant.compute(acc, covered_from, end, self._spans(start, end, live))
        col = self.accountant.col
        site = m[0]
        uncovered = float(site[col["grid_import_kwh"]] - site[col["covered_kwh"]])
        tags = self.tracer.node_tags(
            acc.used, m[:, col["electricity_kwh"]], float(site[col["self_consumed_kwh"]]), uncovered
        )
        return to_results(
            self.topo.nodes, self.accountant.points, m, acc.size, start, end, acc.revision, tags
        )

    def _spans(self, start: int, end: int, live: bool) -> np.ndarray:
        """Each meter's part of [start, end) since its first reading (the engine's, if it has none)."""
        first = self.meters.first_ts
        since = np.clip(np.where(first >= 0, first, self.min_ts if self.min_ts >= 0 else start), start, end)
        until = np.clip(self.meters.last_ts, since, end) if live else end
        return (until - since).astype(np.float64)

    # -- live ---------------------------------------------------------------------------------

    def rolling_minute(self) -> list[WindowResult]:
        """The last 60 s up to the newest sample: this minute plus the tail of the previous one."""
        self.flush()
        if self.max_ts < 0:
            return []
        t = self.max_ts
        cur = (t // 60_000) * 60_000
        phi = (t - cur) / 60_000
        acc = Acc.new("live", t - 60_000, t, self.topo.n, self.line_states.slots)
        for start, w in ((cur, 1.0), (cur - 60_000, 1.0 - phi)):
            src = self.windows.get("1m", start)
            if src is not None and w > 0:
                for f in ("qty", "est", "loc", "rm", "cov", "gaps", "st"):
                    getattr(acc, f)[:] += w * getattr(src, f)
                merge(acc.used, src.used)
        # Right after start less than a minute is covered: compute() averages over what is.
        return self.compute(acc, t - 60_000, t, live=True)

    def today(self) -> list[WindowResult]:
        """Totals of the site-local day of the newest sample, up to that sample."""
        self.flush()
        if self.max_ts < 0 or "1d" not in self.windows.sizes:
            return []
        start, _ = self.calendar.day(self.max_ts)
        acc = self.windows.get("1d", start)
        if acc is None:
            return []
        return self.compute(acc, start, max(self.max_ts, start + 1), live=True)

    def results(self, node: str | None = None, size: str | None = None) -> list[WindowResult]:
        """Published results kept in memory (latest revision of each window)."""
        return self.history.get(node, size)

    # -- state across restarts ----------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Counter baselines, open windows and clocks as a JSON-ready dict (after a flush)."""
        self.flush()
        w = self.windows
        return {
            "channels": [c.id for c in self.topo.channels],
            "max_ts": self.max_ts,
            "min_ts": self.min_ts,
            "now_ms": self.now_ms,
            "last_arrival_ms": self.now_ms if self._fresh else self.last_arrival_ms,
            "watermark": w.watermark,
            "dropped": w.dropped,
            "meters": self.meters.dump(),
            "windows": [a.dump() for size in w.sizes for a in w.open[size].values()],
            "stats": self.stats,
            "line_states": self.line_states.dump(),
        }

    def from_state(self, data: dict[str, Any]) -> None:
        """Load ``to_state`` output into this fresh core; ConfigError if the plant's channels changed."""
        if data.get("channels") != [c.id for c in self.topo.channels]:
            raise ConfigError(["engine snapshot: the plant's meters changed since it was written"])
        self.max_ts = int(data["max_ts"])
        self.min_ts = int(data.get("min_ts", data["max_ts"]))
        self.now_ms = int(data["now_ms"])
        self.last_arrival_ms = int(data["last_arrival_ms"])
        w = self.windows
        w.watermark = int(data["watermark"])
        w.dropped.update(data.get("dropped", {}))
        self.meters.load(data["meters"])
        self._buf_last = self.meters.last_ts.copy()
        self.line_states.load(data.get("line_states"))
        for raw in data["windows"]:
            acc = Acc.load(raw)
            if acc.st.shape[0] != w.slots:  # a snapshot from before the lines had state points
                acc.st = np.zeros((w.slots, 4))
            if acc.size in w.open:
                w.open[acc.size][acc.start] = acc
        self.stats.update(data.get("stats", {}))


def _line_states(plant: PlantCfg, topo: Topology, acc: Accountant) -> LineStates:
    """The lines' state timelines, splitting what the accountant counts as each line's energy."""
    rows = {n.rel: i for i, n in enumerate(topo.nodes) if n.level == "line"}
    weights = np.column_stack([acc.energy_w, acc.elec_cons, acc.fuel, acc.heat]).astype(np.float64)
    return LineStates(compile_lines(plant, rows), topo.a, weights)


def _late(chan: np.ndarray, ts: np.ndarray, last: np.ndarray) -> bool:
    """Whether a sample is not newer than the last of its channel before it (``last``, or this chunk)."""
    if bool((ts <= last[chan]).any()):
        return True
    order = np.lexsort((np.arange(len(chan)), chan))  # by channel, arrival order within
    c, t = chan[order], ts[order]
    return bool(((c[1:] == c[:-1]) & (t[1:] <= t[:-1])).any())


__all__ = ["SIZES_MS", "EngineCore"]
