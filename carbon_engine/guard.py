"""The plausibility limit of every meter: configured, learned from its own history, or rated.

A meter's limit (base units per hour; a power channel's plausible maximum power) is, in order:

1. its ``max_rate``, when configured;
2. else ``factor`` (default 10) x its highest *sustained* rate of the last 24 hours - the mean
   rate of a whole minute of measured quantity -, but never below its base: its ``rated_kw``
   when configured, else the engine's ``plausibility_floor_kw`` (converted to the meter's base
   unit per hour by the carrier's energy content);
3. with no history yet, that base.

Production counters are guarded only by ``max_rate`` (they have no energy to size a floor by).
``energy.py`` applies every limit with 20 % headroom. The history is kept per hour (the highest
minute of each of the last 24 hours) and travels in the snapshot.
"""

from __future__ import annotations

import math

import numpy as np

from carbon_engine.config import PlantCfg
from carbon_engine.energy import MIN_MS
from carbon_engine.topology import Topology

HOUR_MS = 3_600_000
HOURS = 24


class Guard:
    """Per-channel limits; ``add`` feeds measured minute quantities, ``close`` finishes minutes."""

    def __init__(self, topo: Topology, plant: PlantCfg) -> None:
        n = topo.n
        e = plant.engine
        self.factor = e.plausibility_factor
        meters = {m.id: m for m in plant.meters}
        kwh = np.where(topo.kwh_per_unit > 0, topo.kwh_per_unit, np.nan)
        rated = np.array([(meters[c.id].rated_kw or 0.0) if c.id in meters else 0.0 for c in topo.channels])
        energy = np.array([c.role not in ("production", "self") for c in topo.channels])
        # Below this no learned limit goes: the meter's rating, else the engine's floor.
        base_kw = np.where(rated > 0, rated, e.plausibility_floor_kw)
        self.base = np.where(energy, base_kw / kwh, math.inf)
        self.base = np.nan_to_num(self.base, nan=math.inf)
        self.fixed = topo.max_rate.copy()  # inf where not configured
        self.learned = ~np.isfinite(self.fixed) & energy
        self.hours = np.full((HOURS, n), np.nan)  # highest minute rate per hour slot
        self.hour_of = np.full(HOURS, -1, dtype=np.int64)  # which hour each slot holds
        self.open: dict[int, np.ndarray] = {}  # minute -> measured quantity per channel
        self.limit = np.where(self.learned, self.base, self.fixed)

    def add(self, minutes: np.ndarray, measured: np.ndarray) -> None:
        """Measured (not estimated) quantities per minute (rows) and channel (columns)."""
        for m, row in zip(minutes.tolist(), measured, strict=True):
            acc = self.open.get(m)
            if acc is None:
                self.open[m] = row.copy()
            else:
                acc += row

    def close(self, watermark_ms: int) -> None:
        """Minutes the watermark has passed become history; later pieces of them are ignored."""
        done = [m for m in self.open if m + MIN_MS <= watermark_ms]
        if not done:
            return
        for m in sorted(done):
            self._learn(m, self.open.pop(m) * (HOUR_MS / MIN_MS))
        self._refresh(max(done))

    def _learn(self, minute: int, rate: np.ndarray) -> None:
        hour = minute // HOUR_MS
        slot = hour % HOURS
        if self.hour_of[slot] != hour:
            if self.hour_of[slot] > hour:
                return  # older than the day kept
            self.hour_of[slot] = hour
            self.hours[slot] = np.nan
        self.hours[slot] = np.fmax(self.hours[slot], rate)

    def _refresh(self, newest_minute: int) -> None:
        recent = self.hour_of > newest_minute // HOUR_MS - HOURS
        kept = np.where(recent[:, None] & ~np.isnan(self.hours), self.hours, -math.inf)
        top = kept.max(axis=0) if len(kept) else np.full(self.hours.shape[1], -math.inf)
        learned = np.where(np.isfinite(top), np.maximum(self.factor * top, self.base), self.base)
        self.limit = np.where(self.learned, learned, self.fixed)

    def bump(self, chan: int, rate: float) -> None:
        """A rate the meter sustained over two intervals is real: the limit makes room for it."""
        if self.learned[chan]:
            self.limit[chan] = max(self.limit[chan], self.factor * rate)

    def source(self, chan: int) -> str:
        """Where a channel's limit comes from, for log lines and dead letters."""
        if not self.learned[chan]:
            return "max_rate" if math.isfinite(self.fixed[chan]) else "unguarded"
        return "learned" if self.limit[chan] > self.base[chan] else "rated_kw or floor"

    # -- snapshot -----------------------------------------------------------------------------

    def dump(self) -> dict[str, object]:
        return {
            "hours": [[_known(x) for x in row] for row in self.hours.tolist()],
            "hour_of": self.hour_of.tolist(),
            "open": {str(m): row.tolist() for m, row in self.open.items()},
            "limit": [_known(x) for x in self.limit.tolist()],
        }

    def load(self, data: dict[str, object] | None) -> None:
        if not data:  # snapshots of older versions: nothing learned yet
            return
        self.hours = np.array(data["hours"], dtype=np.float64)
        self.hour_of = np.array(data["hour_of"], dtype=np.int64)
        raw = data["open"]
        assert isinstance(raw, dict)
        self.open = {int(m): np.array(row, dtype=np.float64) for m, row in raw.items()}
        limit = np.array(data["limit"], dtype=np.float64)  # a bumped limit is kept as it was
        self.limit = np.where(self.learned, np.nan_to_num(limit, nan=math.inf), self.fixed)


def _known(x: float) -> float | None:
    """NaN and infinity as null: snapshots are strict JSON."""
    return x if math.isfinite(x) else None
