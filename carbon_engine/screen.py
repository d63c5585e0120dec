"""The plausibility screen of a batch: which channels need their readings judged one by one.

A sorted batch is judged once, vectorised, against each channel's limit (``guard.py``). Only
the channels with an implausible interval, a reset inside a gap, or a reading held from an
earlier batch go through the ``Resolver`` (``plausibility.py``); their readings are replaced
by the accepted ones, with the estimates of intervals whose counter difference is unknown.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from carbon_engine.energy import Flags
from carbon_engine.plausibility import POWER_SPIKE, RESTART, SPIKE, SUSPECT, Resolver, Verdict
from carbon_engine.topology import Topology

if TYPE_CHECKING:
    from carbon_engine.meters import MeterState

_HEADROOM = 1.2
REJECTED_KEPT = 256  # dropped readings remembered per channel, so a replay is known


class Screen:
    """Finds the channels of a batch that need judging, and judges them."""

    def __init__(self, topo: Topology, max_gap_ms: float, factor: float) -> None:
        self.topo = topo
        self.resolver = Resolver(topo, max_gap_ms, factor)
        self.rejected: dict[int, deque[int]] = {}  # timestamps of readings dropped, per channel

    def reject(self, c: int, t: int) -> bool:
        """Remember a dropped reading (its replays change nothing); False if it was already."""
        seen = self.rejected.setdefault(c, deque(maxlen=REJECTED_KEPT))
        if t in seen:
            return False
        seen.append(t)
        return True

    def refused(
        self,
        m: MeterState,
        c: int,
        t: int,
        v: float,
        left: tuple[int, float, float],
        right: tuple[int, float],
    ) -> bool:
        """A late reading implausible against its neighbours is not booked: dropped, as in order."""
        judge, limit = self.resolver.judge, float(m.guard.limit[c])
        kind, rate = judge(c, limit, left[0], left[1], t, v, left[2])
        if kind != SUSPECT and judge(c, limit, t, v, right[0], right[1], left[1])[0] != SUSPECT:
            return False
        if self.reject(c, t):
            reason = SPIKE if self.topo.is_counter[c] else POWER_SPIKE
            m.faults.suspect(Verdict(c, t, v, reason, rate, limit), m.guard.source(c))
        else:
            m.replayed += 1
        return True

    def dirty(
        self,
        c: np.ndarray,
        v: np.ndarray,
        has: np.ndarray,
        flags: Flags,
        limit: np.ndarray,
        held: Mapping[int, object],
    ) -> np.ndarray:
        """Channels of the batch with something amiss (usually none)."""
        ch = c[has]
        counter = self.topo.is_counter[ch]
        bad = flags.jump | (flags.reset & flags.gap) | (~counter & (v[has] > limit[ch] * _HEADROOM))
        out = np.unique(ch[bad]) if bad.any() else np.zeros(0, dtype=np.int64)
        if held:
            mine = np.array(sorted(held), dtype=np.int64)
            out = np.union1d(out, mine[np.isin(mine, c)])
        return out

    def run(
        self, m: MeterState, c: np.ndarray, t: np.ndarray, v: np.ndarray, dirty: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The batch with the dirty channels' readings judged: c, t, v, estimates (NaN: measured)
        of the interval each reading ends, and where the reading before the baseline is unknown."""
        clean = ~np.isin(c, dirty)
        cs, ts, vs = [c[clean]], [t[clean]], [v[clean]]
        unk, after = [np.full(int(clean.sum()), np.nan)], [np.zeros(int(clean.sum()), dtype=bool)]
        for ch in dirty.tolist():
            rows = np.flatnonzero(c == ch)
            tt, vv = t[rows].tolist(), v[rows].tolist()
            acc_t: list[int] = []
            acc_v: list[float] = []
            acc_u: list[float] = []
            acc_f: list[bool] = []
            if m.last_ts[ch] < 0:  # the channel's first reading: a baseline, nothing to judge
                base = (tt[0], vv[0], np.nan, np.nan)
                acc_t, acc_v, acc_u, acc_f = [tt[0]], [vv[0]], [np.nan], [False]
                tt, vv = tt[1:], vv[1:]
            else:
                base = (int(m.last_ts[ch]), float(m.last_v[ch]), float(m.prev_v[ch]), float(m.rate[ch]))
            out, held, _ = self.resolver.run(ch, float(m.guard.limit[ch]), base, m.held.pop(ch, None), tt, vv)
            if held is not None:
                m.held[ch] = held
            m.replayed += out.replayed
            for b in out.bumps:
                m.guard.bump(ch, b)
            for verdict in out.verdicts:
                if verdict.reason != RESTART and not self.reject(ch, verdict.ts):
                    m.replayed += 1  # a reading dropped before, sent again
                    continue
                m.faults.suspect(verdict, m.guard.source(ch))
                # Counted as jumps like the intervals they void: a power spike touches two.
                m.counts.jumps += {SPIKE: 1, POWER_SPIKE: 2}.get(verdict.reason, 0)
            n = len(acc_t) + len(out.ts)
            cs.append(np.full(n, ch, dtype=np.int64))
            ts.append(np.array(acc_t + out.ts, dtype=np.int64))
            vs.append(np.array(acc_v + out.value, dtype=np.float64))
            unk.append(np.array(acc_u + out.unknown, dtype=np.float64))
            after.append(np.array(acc_f + out.fresh, dtype=bool))
        c2, t2, v2, u2, a2 = (np.concatenate(x) for x in (cs, ts, vs, unk, after))
        order = np.lexsort((t2, c2))
        return c2[order], t2[order], v2[order], u2[order], a2[order]
