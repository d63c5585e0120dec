"""Quantities from samples, vectorised: counter deltas (resets, rollovers, glitches, jumps) and power.

An interval runs from one sample of a channel to the next; its quantity is spread over the
minutes it covers in proportion to time, so a gap is interpolated instead of piled up. Each
interval also says how long it is *covered* (backed by good samples at both ends, no longer
than ``max_gap``, not estimated): a window's coverage is that time over the window's length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_MS = 60_000
MS_PER_H = 3_600_000.0
MIN_JUDGED_H = 1 / 60  # counter deltas are judged over at least a minute
# A rollover is believed only when the wrapped delta is small against the counter's range.
_ROLLOVER_SHARE = 0.1


@dataclass(slots=True)
class Counts:
    """Counted events of the quantity computation (data quality)."""

    resets: int = 0  # includes the drop of each glitch (known only at the next reading)
    rollovers: int = 0
    glitches: int = 0  # a drop, then back to at least the reading before it
    jumps: int = 0  # implausible counter deltas and power samples (max_rate)
    gaps: int = 0

    def add(self, other: Counts) -> None:
        self.resets += other.resets
        self.rollovers += other.rollovers
        self.glitches += other.glitches
        self.jumps += other.jumps
        self.gaps += other.gaps


@dataclass(slots=True)
class Flags:
    """Which intervals were not booked as measured: masks over the intervals of one call."""

    jump: np.ndarray  # counter delta above max_rate: not booked
    wild: np.ndarray  # a power sample at either end above max_rate: not integrated
    gap: np.ndarray  # longer than max_gap: a counter's delta is estimated, power is not integrated
    delta: np.ndarray  # the counter delta judged (after reset/rollover/glitch handling)
    reset: np.ndarray  # a counter went down and it was no rollover (its difference is unknown)


def interval_qty(
    is_counter: np.ndarray,
    rollover: np.ndarray,
    max_rate: np.ndarray,
    t0: np.ndarray,
    v0: np.ndarray,
    t1: np.ndarray,
    v1: np.ndarray,
    max_gap_ms: float,
    before: np.ndarray,
    unknown: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, Counts, Flags]:
    """Quantity, 'estimated' flag, counts and flags of each interval; the channel arrays are gathered.

    ``before`` is the reading before ``v0`` (NaN when unknown); max_rate is per hour for a
    counter and the plausible maximum power for a power channel. ``unknown``: an estimate (not
    NaN) for intervals whose counter difference is unknown (``plausibility.py``), booked as
    estimated instead of the delta.
    """
    dt = (t1 - t0).astype(np.float64)
    gap = dt > max_gap_ms
    hours = dt / MS_PER_H
    # Counters: delta, with a wrap or a restart from zero when it goes down.
    d = v1 - v0
    # The limit is on a rate sustained over a minute (guard.py learns it from whole minutes): an
    # interval shorter than that is judged as a minute, so a coarse counter's single step in a
    # short poll interval is not taken for a jump.
    plaus = max_rate * np.maximum(hours, MIN_JUDGED_H) * 1.2 + 1e-9
    neg = d < 0
    wrapped = v1 + rollover - v0
    is_roll = neg & (rollover > 0) & (wrapped <= plaus) & (wrapped < rollover * _ROLLOVER_SHARE)
    is_reset = neg & ~is_roll
    # Down, then back to at least the reading before the drop: the low reading was a glitch,
    # not a reset. Count from the reading before it, less what the drop booked as a reset.
    glitch = (v0 < before) & (v1 >= before) & ~_wrap_shaped(before, v0, rollover)
    d = np.where(is_roll, wrapped, np.where(is_reset, v1, d))
    # The glitch's correction may be negative (the drop booked more as a reset than the meter
    # counted since the reading before it), never more than that booking.
    d = np.where(glitch, np.maximum(v1 - before - v0, -np.maximum(v0, 0.0)), np.maximum(d, 0.0))
    jump = (d > plaus) & is_counter
    delta = d
    d = np.where(jump, 0.0, d)
    # Power: trapezoid, never across a gap longer than max_gap, never negative, never from a
    # sample above the plausible maximum.
    wild = (np.maximum(v0, v1) > max_rate * 1.2) & ~is_counter
    p = np.where(gap | wild, 0.0, np.maximum(0.5 * (v0 + v1), 0.0) * hours)
    qty = np.where(is_counter, d, p)
    est = is_counter & gap
    jumps = int(np.count_nonzero(jump))  # a restart's jump is counted, though estimated
    if unknown is not None:
        unk = ~np.isnan(unknown)
        qty = np.where(unk, unknown, qty)
        est = est | unk
        jump = jump & ~unk
    counts = Counts(
        resets=int(np.count_nonzero(is_reset & is_counter)),
        rollovers=int(np.count_nonzero(is_roll & is_counter)),
        glitches=int(np.count_nonzero(glitch & is_counter)),
        jumps=jumps + int(np.count_nonzero(wild)),
        gaps=int(np.count_nonzero(gap)),
    )
    return qty, est, counts, Flags(jump, wild, gap, delta, is_reset & is_counter)


def covered_ms(t0: np.ndarray, t1: np.ndarray, est: np.ndarray, flags: Flags) -> np.ndarray:
    """Time of each interval backed by good samples: 0 for a gap, a void power spike, an estimate."""
    bad = flags.gap | flags.wild | flags.jump | est
    return np.where(bad, 0, t1 - t0).astype(np.float64)


def _wrap_shaped(v_prev: np.ndarray, v: np.ndarray, rollover: np.ndarray) -> np.ndarray:
    """Whether a drop from ``v_prev`` to ``v`` looks like a register wrap (then it is no glitch)."""
    return (rollover > 0) & (v + rollover - v_prev < rollover * _ROLLOVER_SHARE)


def spans_minutes(t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """True where the interval (t0, t1] touches more than one minute."""
    return (t0 // MIN_MS) != ((t1 - 1) // MIN_MS)


@dataclass(slots=True)
class Pieces:
    """Per-minute shares of intervals: channel, minute start (ms), quantity, estimated quantity,
    covered time (ms) and gaps ending in the minute."""

    chan: np.ndarray
    minute: np.ndarray
    qty: np.ndarray
    est: np.ndarray
    cov: np.ndarray
    gaps: np.ndarray

    _FIELDS = ("chan", "minute", "qty", "est", "cov", "gaps")


def split_minutes(
    chan: np.ndarray,
    t0: np.ndarray,
    t1: np.ndarray,
    qty: np.ndarray,
    est: np.ndarray,
    cutoff_ms: int,
    cov: np.ndarray,
    gaps: np.ndarray,
) -> Pieces:
    """Spread each interval over its minutes by time; minutes before ``cutoff_ms`` are skipped.

    ``cov`` (covered ms) is spread like the quantity; ``gaps`` (+1, or -1 undoing one) is
    counted in the minute the interval ends in."""
    m0 = t0 // MIN_MS
    m1 = (t1 - 1) // MIN_MS
    one = m0 == m1
    estq = np.where(est, qty, 0.0)
    parts = [Pieces(chan[one], m1[one] * MIN_MS, qty[one], estq[one], cov[one], gaps[one])]
    multi = np.flatnonzero(~one)
    if len(multi):
        lo_min = np.maximum(m0[multi], cutoff_ms // MIN_MS)
        k = np.maximum(m1[multi] - lo_min + 1, 0)
        rep = np.repeat(multi, k)
        first = np.repeat(lo_min, k)
        offs = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
        minute = (first + offs) * MIN_MS
        lo = np.maximum(t0[rep], minute)
        hi = np.minimum(t1[rep], minute + MIN_MS)
        frac = (hi - lo) / (t1[rep] - t0[rep]).astype(np.float64)
        last = minute == m1[rep] * MIN_MS
        parts.append(
            Pieces(
                chan[rep],
                minute,
                qty[rep] * frac,
                estq[rep] * frac,
                cov[rep] * frac,
                np.where(last, gaps[rep], 0.0),
            )
        )
    return Pieces(*(np.concatenate([getattr(p, f) for p in parts]) for f in Pieces._FIELDS))


@dataclass(slots=True)
class Intervals:
    """Signed interval quantities to add to the windows (negative ones undo a replaced span)."""

    chan: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    qty: np.ndarray
    est: np.ndarray
    cov: np.ndarray  # covered ms
    gaps: np.ndarray  # 1.0 for a gap, -1.0 undoing one

    @staticmethod
    def empty() -> Intervals:
        z = np.zeros(0, dtype=np.int64)
        return Intervals(z, z, z, np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0))

    @staticmethod
    def concat(items: list[Intervals]) -> Intervals:
        if len(items) == 1:
            return items[0]
        fields = ("chan", "t0", "t1", "qty", "est", "cov", "gaps")
        return Intervals(*(np.concatenate([getattr(i, f) for i in items]) for f in fields))


def single(c: int, t0: int, t1: int, qty: float, est: bool, cov: float, gap: float) -> Intervals:
    """One interval as ``Intervals``."""
    return Intervals(
        np.array([c], dtype=np.int64),
        np.array([t0], dtype=np.int64),
        np.array([t1], dtype=np.int64),
        np.array([qty]),
        np.array([est]),
        np.array([cov]),
        np.array([gap]),
    )
