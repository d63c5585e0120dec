"""Implausible readings held as suspect until the next reading of the meter decides what they were.

A reading whose interval from the meter's last good reading exceeds its limit (``guard.py``)
is not booked and does not become the baseline: it is *held*. The next reading decides:

- it continues from the last good reading: the held one was a **spike** (forged or garbled),
  dropped; the interval from the good reading to this one is booked as measured;
- it continues from the held one: the counter **restarted** at another value. The jump is not
  booked and the counter is re-based at the held reading. The energy of the interval up to
  it is unknown: within ``max_gap`` nothing is booked for it (the new reading is not counted);
  across a gap it is booked as estimated from the meter's rate before and after (the mean of
  those known);
- it sustains the held reading's rate (within a factor 2): the meter really runs that fast,
  the held reading is booked as measured and the limit makes room (``Guard.bump``);
- else the held reading is dropped as a spike and this one is judged in turn.

A counter that went down across a gap (a reset inside the gap) is held the same way until the
rate after it is known: the gap's energy is unknown, estimated from the rates before and after,
and never less than what the counter counted since it restarted. Channels without anything
held or flagged never come here: the batch path in ``meters.py`` stays vectorised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from carbon_engine.energy import MS_PER_H, interval_qty
from carbon_engine.topology import Topology

OK, SUSPECT, UNKNOWN = "ok", "suspect", "unknown"
# A restart's jump keeps the name the late path gives an implausible delta: counter_jump.
SPIKE, RESTART, POWER_SPIKE = "spike", "counter_jump", "power_spike"
_HEADROOM = 1.2  # as energy.py applies max_rate
_SUSTAINED = 2.0


@dataclass(slots=True)
class Held:
    ts: int
    value: float
    kind: str  # SUSPECT or UNKNOWN
    rate: float  # implied rate per hour from the baseline


@dataclass(frozen=True, slots=True)
class Verdict:
    """A reading not booked: why, with the rate it implied and the limit it broke."""

    chan: int
    ts: int
    value: float
    reason: str
    rate: float
    limit: float


@dataclass(slots=True)
class Outcome:
    """Accepted readings of one channel in order, each with the estimate of the interval it ends
    (NaN: measured) and whether the reading before its baseline is unknown (after an estimate)."""

    ts: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    unknown: list[float] = field(default_factory=list)
    fresh: list[bool] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    bumps: list[float] = field(default_factory=list)
    replayed: int = 0


class Resolver:
    """Judges one channel's readings one at a time (rare: only channels with something amiss)."""

    def __init__(self, topo: Topology, max_gap_ms: float, factor: float) -> None:
        self.topo = topo
        self.max_gap_ms = max_gap_ms
        self.factor = factor

    def judge(
        self, c: int, limit: float, t0: int, v0: float, t1: int, v1: float, before: float
    ) -> tuple[str, float]:
        """OK, SUSPECT or UNKNOWN for the interval (t0, v0) -> (t1, v1), and its implied rate."""
        if not self.topo.is_counter[c]:
            return (SUSPECT if v1 > limit * _HEADROOM else OK), v1
        _, _, _, f = interval_qty(
            np.array([True]),
            self.topo.rollover[c : c + 1],
            np.array([limit]),
            np.array([t0]),
            np.array([v0]),
            np.array([t1]),
            np.array([v1]),
            self.max_gap_ms,
            np.array([before]),
        )
        hours = (t1 - t0) / MS_PER_H
        rate = float(f.delta[0]) / hours if hours > 0 else math.inf
        if f.jump[0]:
            return SUSPECT, rate
        return (UNKNOWN if f.reset[0] and f.gap[0] else OK), rate

    def run(
        self,
        c: int,
        limit: float,
        base: tuple[int, float, float, float],
        held: Held | None,
        ts: list[int],
        vs: list[float],
    ) -> tuple[Outcome, Held | None, tuple[int, float, float, float]]:
        """Readings ``ts``/``vs`` after ``base`` = (ts, value, reading before it, rate before)."""
        out = Outcome()
        bt, bv, before, rb = base
        fresh = void = False
        spike = _reason(self.topo, c)
        for t, v in zip(ts, vs, strict=True):
            if held is not None and t == held.ts:
                out.replayed += 1
                continue
            while True:
                if held is None or t < held.ts:  # a reading before the held one: judged first
                    kind, rate = self.judge(c, limit, bt, bv, t, v, before)
                    if kind == OK:
                        # Power between the neighbours of a spike is unknown: not integrated.
                        self._accept(out, t, v, 0.0 if void else math.nan, fresh)
                        fresh, void, before, bt, bv, rb = False, False, bv, t, v, rate
                    elif held is None:
                        held = Held(t, v, kind, rate)
                    else:  # implausible and before a held one: dropped
                        out.verdicts.append(Verdict(c, t, v, spike, rate, limit))
                    break
                h, held = held, None
                k_base = self.judge(c, limit, bt, bv, t, v, before)[0]
                k_held, r_after = self.judge(c, limit, h.ts, h.value, t, v, bv)
                if k_base != OK and (h.kind == UNKNOWN or k_held == OK):
                    # The counter goes on from the held reading: restarted there.
                    est = _estimate(rb, r_after if k_held == OK else math.nan, bt, h.ts)
                    if h.kind == UNKNOWN:  # a reset inside a gap: at least what it counted since
                        est = max(est, h.value)
                    else:
                        out.verdicts.append(Verdict(c, h.ts, h.value, RESTART, h.rate, limit))
                        if h.ts - bt <= self.max_gap_ms:
                            est = 0.0  # not a gap: the new reading is not counted
                    self._accept(out, h.ts, h.value, est, fresh)
                    fresh, before, bt, bv = True, math.nan, h.ts, h.value
                elif k_base != OK and r_after > 0 and _sustained(h.rate, r_after):
                    # The meter really runs this fast: booked as measured, the limit makes room.
                    out.bumps.append(max(h.rate, r_after))
                    limit = max(limit, self.factor * max(h.rate, r_after))
                    self._accept(out, h.ts, h.value, math.nan, fresh)
                    fresh, before, bt, bv, rb = False, bv, h.ts, h.value, h.rate
                else:  # a spike: the next reading went on from the good one (or is one too)
                    out.verdicts.append(Verdict(c, h.ts, h.value, spike, h.rate, limit))
                    void = not self.topo.is_counter[c]
        return out, held, (bt, bv, before, rb)

    @staticmethod
    def _accept(out: Outcome, t: int, v: float, unknown: float, fresh: bool) -> None:
        out.ts.append(t)
        out.value.append(v)
        out.unknown.append(unknown)
        out.fresh.append(fresh)


def _reason(topo: Topology, c: int) -> str:
    return SPIKE if topo.is_counter[c] else POWER_SPIKE


def _sustained(a: float, b: float) -> bool:
    return max(a, b) <= _SUSTAINED * min(a, b)


def _estimate(before: float, after: float, t0: int, t1: int) -> float:
    """Energy of (t0, t1] at the mean of the known rates around it (0 when neither is known)."""
    known = [r for r in (before, after) if not math.isnan(r)]
    rate = sum(known) / len(known) if known else 0.0
    return max(rate, 0.0) * (t1 - t0) / MS_PER_H
