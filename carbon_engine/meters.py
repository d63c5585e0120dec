"""Per-channel sample state: baselines for in-order batches and the intervals late samples may split.

In-order samples go through numpy in one pass. A late sample (older than the channel's last)
only changes anything when it falls inside an interval that crosses a minute boundary or a
gap; those intervals ("spans") are kept while their windows are open, so the late sample
replaces one span by two. Inside one minute a counter's total is unchanged by a split, a power
integral is not: power channels keep their recent samples (``PowerTrail``) to split such an
interval too. A sample at a known timestamp is a replay and changes nothing.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from carbon_engine.config import PlantCfg
from carbon_engine.energy import (
    MIN_MS,
    Counts,
    Flags,
    Intervals,
    covered_ms,
    interval_qty,
    single,
    spans_minutes,
)
from carbon_engine.faults import FaultBook
from carbon_engine.guard import Guard
from carbon_engine.plausibility import Held
from carbon_engine.power_trail import PowerTrail
from carbon_engine.screen import Screen
from carbon_engine.topology import Topology


@dataclass(slots=True)
class Span:
    t0: int
    v0: float
    t1: int
    v1: float
    qty: float
    est: bool
    until: int  # event time after which no open window can change through this span
    before: float = float("nan")  # the reading before v0, when known (glitch detection)
    cov: float = 0.0  # covered ms (energy.covered_ms)
    gap: float = 0.0  # 1.0 for a gap


Horizon = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(slots=True)
class _Rows:
    """Per sample of a sorted batch: first of its channel, predecessor, reading before, no baseline."""

    start: np.ndarray
    t0: np.ndarray
    v0: np.ndarray
    before: np.ndarray
    fresh: np.ndarray
    has: np.ndarray


@dataclass(slots=True)
class _Judged:
    qty: np.ndarray
    est: np.ndarray
    counts: Counts
    flags: Flags
    cov: np.ndarray
    gap: np.ndarray


class MeterState:
    """Baselines of every channel plus the spans still open to late samples."""

    def __init__(self, topo: Topology, plant: PlantCfg, horizon: Horizon) -> None:
        max_gap_ms = plant.engine.max_gap_s * 1000
        self.topo = topo
        self.max_gap_ms = max_gap_ms
        self.horizon = horizon
        n = topo.n
        self.last_ts = np.full(n, -1, dtype=np.int64)
        self.last_v = np.zeros(n)
        self.prev_v = np.full(n, np.nan)  # the reading before last_v (glitch detection)
        self.first_ts = np.full(n, -1, dtype=np.int64)
        self.first_v = np.zeros(n)
        self.spans: dict[int, list[Span]] = {}
        self.trail = PowerTrail()
        self.counts = Counts()
        self.faults = FaultBook(topo)  # per-meter trace of dropped readings and gaps
        self.guard = Guard(topo, plant)  # each channel's plausibility limit
        self.screen = Screen(topo, max_gap_ms, plant.engine.plausibility_factor)
        self.held: dict[int, Held] = {}  # suspect readings waiting for the next one
        self.rate = np.full(n, np.nan)  # rate of each counter's last measured interval, per hour
        self.late_ignored = 0
        self.replayed = 0

    # -- in-order batches ---------------------------------------------------------------------

    def process(self, chan: np.ndarray, ts: np.ndarray, val: np.ndarray) -> Intervals:
        """Turn one batch of samples into intervals; late samples take the slow path."""
        late = ts <= self.last_ts[chan]
        out = [self._in_order(chan[~late], ts[~late], val[~late])] if not late.all() else []
        for c, t, v in zip(chan[late].tolist(), ts[late].tolist(), val[late].tolist(), strict=True):
            out.append(self._late(c, t, v))
        return Intervals.concat(out) if out else Intervals.empty()

    def _in_order(self, chan: np.ndarray, ts: np.ndarray, val: np.ndarray) -> Intervals:
        if len(chan) == 0:
            return Intervals.empty()
        order = np.lexsort((ts, chan))
        c, t, v = chan[order], ts[order], val[order]
        keep = np.r_[True, (c[1:] != c[:-1]) | (t[1:] != t[:-1])]
        c, t, v = c[keep], t[keep], v[keep]
        rows = self._rows(c, t, v)
        judged = self._judge(c, t, v, rows, None)
        dirty = self.screen.dirty(c, v, rows.has, judged.flags, self.guard.limit, self.held)
        unknown = None
        if len(dirty):
            c, t, v, unknown, after = self.screen.run(self, c, t, v, dirty)
            if len(c) == 0:  # every reading held
                return Intervals.empty()
            rows = self._rows(c, t, v)
            rows.before[after] = np.nan  # the reading before an estimated interval's end is unknown
            judged = self._judge(c, t, v, rows, unknown)
        self._commit(c, t, v, rows, judged, unknown)
        h = rows.has
        c, t0, v0, t1, v1, before = c[h], rows.t0[h], rows.v0[h], t[h], v[h], rows.before[h]
        qty, est, cov, gap = judged.qty, judged.est, judged.cov, judged.gap
        span = spans_minutes(t0, t1) | ((t1 - t0) > self.max_gap_ms)
        if unknown is not None:
            span &= np.isnan(unknown[h])  # an estimated interval is not split by late samples
        rows_ = np.flatnonzero(span)
        if len(rows_):
            r = rows_
            cols = (c[r], t0[r], v0[r], t1[r], v1[r], qty[r], est[r], self.horizon(t0[r], t1[r]), before[r])
            for ci, a, b, d, e, q, x, u, w, cv, g in zip(
                *(x.tolist() for x in (*cols, cov[r], gap[r])), strict=True
            ):
                self.spans.setdefault(ci, []).append(Span(a, b, d, e, q, x, u, w, cv, g))
        return Intervals(c, t0, t1, qty, est, cov, gap)

    def _rows(self, c: np.ndarray, t: np.ndarray, v: np.ndarray) -> _Rows:
        """Each sample's predecessor (the channel's baseline for its first) and the reading before."""
        start = np.r_[True, c[1:] != c[:-1]]
        t0 = np.r_[0, t[:-1]]
        v0 = np.r_[0.0, v[:-1]]
        t0[start] = self.last_ts[c[start]]
        v0[start] = self.last_v[c[start]]
        fresh = start & (t0 < 0)
        v0[fresh] = np.nan
        before = np.r_[np.nan, v0[:-1]]
        before[start] = self.prev_v[c[start]]
        return _Rows(start, t0, v0, before, fresh, ~fresh)

    def _judge(
        self, c: np.ndarray, t: np.ndarray, v: np.ndarray, rows: _Rows, unknown: np.ndarray | None
    ) -> _Judged:
        h = rows.has
        topo = self.topo
        cc = c[h]
        qty, est, counts, flags = interval_qty(
            topo.is_counter[cc],
            topo.rollover[cc],
            self.guard.limit[cc],
            rows.t0[h],
            rows.v0[h],
            t[h],
            v[h],
            self.max_gap_ms,
            rows.before[h],
            None if unknown is None else unknown[h],
        )
        cov = covered_ms(rows.t0[h], t[h], est, flags)
        return _Judged(qty, est, counts, flags, cov, flags.gap.astype(np.float64))

    def _commit(
        self, c: np.ndarray, t: np.ndarray, v: np.ndarray, rows: _Rows, j: _Judged, unknown: np.ndarray | None
    ) -> None:
        """The batch's samples become the channels' baselines; counts and the fault trace."""
        fresh, h = rows.fresh, rows.has
        end = np.r_[c[1:] != c[:-1], True]
        self.first_ts[c[fresh]] = t[fresh]
        self.first_v[c[fresh]] = v[fresh]
        self.last_ts[c[end]] = t[end]
        self.last_v[c[end]] = v[end]
        self.prev_v[c[end]] = rows.v0[end]
        # The rate of each channel's last measured interval: "the rate before" a later estimate.
        hours = (t[h] - rows.t0[h]) / 3_600_000
        rate = np.where(hours > 0, j.flags.delta / np.where(hours > 0, hours, 1), np.nan)
        if unknown is not None:
            rate = np.where(np.isnan(unknown[h]), rate, np.nan)
        last = end[h] & ~np.isnan(rate) & self.topo.is_counter[c[h]]
        self.rate[c[h][last]] = rate[last]
        power = ~self.topo.is_counter[c]
        if power.any():
            self.trail.extend(c[power], t[power], v[power], rows.t0[power], rows.v0[power])
        self.counts.add(j.counts)
        ch = c[h]
        self.faults.note(ch, rows.t0[h], rows.v0[h], t[h], v[h], j.qty, j.flags, self.guard.limit[ch])

    def _qty(
        self,
        c: np.ndarray,
        t0: np.ndarray,
        v0: np.ndarray,
        t1: np.ndarray,
        v1: np.ndarray,
        before: np.ndarray,
        count: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Quantity, estimated flag, covered ms and gap (1.0) of intervals of the late path."""
        topo = self.topo
        qty, est, counts, flags = interval_qty(
            topo.is_counter[c], topo.rollover[c], self.guard.limit[c], t0, v0, t1, v1, self.max_gap_ms, before
        )
        if count:
            self.counts.add(counts)
            self.faults.note(c, t0, v0, t1, v1, qty, flags, self.guard.limit[c])
        return qty, est, covered_ms(t0, t1, est, flags), flags.gap.astype(np.float64)

    # -- late samples -------------------------------------------------------------------------

    def _late(self, c: int, t: int, v: float) -> Intervals:
        if t in (int(self.last_ts[c]), int(self.first_ts[c])):
            self.replayed += 1
            return Intervals.empty()
        power = not self.topo.is_counter[c]
        if t < self.first_ts[c]:
            add, span = self._make(c, t, v, int(self.first_ts[c]), float(self.first_v[c]))
            if self.first_ts[c] == self.last_ts[c]:
                self.prev_v[c] = v
            self.first_ts[c], self.first_v[c] = t, v
            self.spans.setdefault(c, []).insert(0, span)
            if power:
                self.trail.add(c, t, v)
            return add
        spans = self.spans.get(c, [])
        i = bisect.bisect_left([s.t0 for s in spans], t) - 1
        if i < 0 or not spans[i].t0 < t < spans[i].t1:
            split = self._late_power(c, t, v) if power else None
            if split is not None:
                return split
            hit = any(s.t0 == t or s.t1 == t for s in spans) or (power and self.trail.has(c, t))
            self.replayed += hit
            # A counter inside one minute: the minute's total is unchanged. Otherwise the
            # interval's windows have closed (or its samples predate a restart).
            self.late_ignored += not hit
            return Intervals.empty()
        old = spans[i]
        if self.screen.refused(self, c, t, v, (old.t0, old.v0, old.before), (old.t1, old.v1)):
            return Intervals.empty()
        if power:
            self.trail.add(c, t, v)
        undo = single(c, old.t0, old.t1, -old.qty, old.est, -old.cov, -old.gap)
        left, lspan = self._make(c, old.t0, old.v0, t, v, old.before)
        right, rspan = self._make(c, t, v, old.t1, old.v1, old.v0)
        spans[i : i + 1] = [lspan, rspan]
        if old.t1 == self.last_ts[c]:
            self.prev_v[c] = v
        return Intervals.concat([undo, left, right])

    def _late_power(self, c: int, t: int, v: float) -> Intervals | None:
        """Split the power interval inside one minute that holds ``t``, when its samples are kept."""
        around = self.trail.around(c, t)
        if around is None:
            return None
        t0, v0, t1, v1 = around
        if t1 - t0 > self.max_gap_ms or spans_minutes(np.array([t0]), np.array([t1]))[0]:
            return None  # such an interval was a span: its windows have closed
        if self.screen.refused(self, c, t, v, (t0, v0, math.nan), (t1, v1)):
            return Intervals.empty()
        ca = np.array([c], dtype=np.int64)
        ta, tb = np.array([t0], dtype=np.int64), np.array([t1], dtype=np.int64)
        # What this interval added before; its jumps and gaps were counted then.
        old, _, cov, gap = self._qty(
            ca, ta, np.array([v0]), tb, np.array([v1]), np.array([np.nan]), count=False
        )
        left, _ = self._make(c, t0, v0, t, v)
        right, _ = self._make(c, t, v, t1, v1)
        self.trail.add(c, t, v)
        if t1 == self.last_ts[c]:
            self.prev_v[c] = v
        undo = single(c, t0, t1, -float(old[0]), False, -float(cov[0]), -float(gap[0]))
        return Intervals.concat([undo, left, right])

    def _make(
        self, c: int, t0: int, v0: float, t1: int, v1: float, before: float = np.nan
    ) -> tuple[Intervals, Span]:
        """One interval with its span record (kept even when it no longer spans a minute)."""
        ca = np.array([c], dtype=np.int64)
        ta, tb = np.array([t0], dtype=np.int64), np.array([t1], dtype=np.int64)
        qty, est, cov, gap = self._qty(ca, ta, np.array([v0]), tb, np.array([v1]), np.array([before]))
        until = int(self.horizon(ta, tb)[0])
        span = Span(t0, v0, t1, v1, float(qty[0]), bool(est[0]), until, before, float(cov[0]), float(gap[0]))
        return single(c, t0, t1, span.qty, span.est, span.cov, span.gap), span

    def prune(self, watermark_ms: int) -> None:
        """Forget spans whose windows have all closed, and power samples whose minute has."""
        self.trail.prune(lambda ts: self.horizon(ts, ts + 1) <= watermark_ms)
        for c, spans in list(self.spans.items()):
            keep = [s for s in spans if s.until > watermark_ms]
            if keep:
                self.spans[c] = keep
            else:
                del self.spans[c]

    # -- snapshot -----------------------------------------------------------------------------

    def dump(self) -> dict[str, object]:
        return {
            "last_ts": self.last_ts.tolist(),
            "last_v": self.last_v.tolist(),
            "prev_v": [_known(x) for x in self.prev_v.tolist()],
            "first_ts": self.first_ts.tolist(),
            "first_v": self.first_v.tolist(),
            "spans": {
                str(c): [
                    [s.t0, s.v0, s.t1, s.v1, s.qty, s.est, s.until, _known(s.before), s.cov, s.gap] for s in v
                ]
                for c, v in self.spans.items()
            },
            "rate": [_known(x) for x in self.rate.tolist()],
            "held": {str(c): [h.ts, h.value, h.kind, _known(h.rate)] for c, h in self.held.items()},
            "guard": self.guard.dump(),
        }

    def load(self, data: dict[str, object]) -> None:
        for name in ("last_ts", "first_ts"):
            setattr(self, name, np.array(data[name], dtype=np.int64))
        for name in ("last_v", "first_v"):
            setattr(self, name, np.array(data[name], dtype=np.float64))
        if "prev_v" in data:  # absent from snapshots of older versions: unknown
            self.prev_v = np.array(data["prev_v"], dtype=np.float64)  # None -> NaN
        raw = data["spans"]
        assert isinstance(raw, dict)
        self.spans = {
            int(c): [
                Span(int(a), float(b), int(d), float(e), float(q), bool(x), int(u), *_tail(w))
                for a, b, d, e, q, x, u, *w in v  # older snapshots have no 'before', 'cov', 'gap'
            ]
            for c, v in raw.items()
        }
        if "rate" in data:
            self.rate = np.array(data["rate"], dtype=np.float64)
        held = data.get("held", {})
        assert isinstance(held, dict)
        self.held = {int(c): Held(int(t), float(v), str(k), _float([r])) for c, (t, v, k, r) in held.items()}
        guard = data.get("guard")
        self.guard.load(guard if isinstance(guard, dict) else None)


def _known(x: float) -> float | None:
    """NaN (unknown) as null: snapshots are strict JSON."""
    return None if math.isnan(x) else x


def _float(w: list[object]) -> float:
    return float(w[0]) if w and isinstance(w[0], int | float) else math.nan


def _tail(w: list[object]) -> tuple[float, float, float]:
    """A span's 'before', covered ms and gap; spans of older snapshots count as covered."""
    cov = float(w[1]) if len(w) > 1 and isinstance(w[1], int | float) else 0.0
    gap = float(w[2]) if len(w) > 2 and isinstance(w[2], int | float) else 0.0
    return _float(w), cov, gap


__all__ = ["MIN_MS", "Intervals", "MeterState", "Span"]
