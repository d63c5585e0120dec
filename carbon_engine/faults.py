"""Readings not booked as measured, per meter: implausible readings, and gaps.

The accounting itself lives in ``energy.py`` and ``plausibility.py``; this keeps the trace of
what they refused or estimated, so that nothing is dropped silently. Counts are per meter of
the plant (a bounded label set for ``/metrics``). Log lines are rate-limited per meter and
kind: one line, then at most one an hour carrying how many more happened meanwhile, so a meter
that keeps failing cannot flood the log. Every reading not booked is also a dead letter
(``letters``: device, point, value as received, reason; the engine publishes them on
``zcf/v1/{site}/_deadletter/engine``) and an event for the data-plausibility alert.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carbon_engine.energy import MS_PER_H, Flags
from carbon_engine.plausibility import Verdict
from carbon_engine.topology import Topology

log = logging.getLogger(__name__)

LOG_EVERY_S = 3600.0
COUNTER_JUMP = "counter_jump"
POWER_SPIKE = "power_spike"
GAP = "gap"
# max_rate is checked with 20 % headroom (energy.py); the log states the limit as applied.
_HEADROOM = 1.2
LETTERS_MAX = 10_000  # dead letters waiting to be published; older ones are dropped (counted)
_WHY = {
    "spike": "the next reading went on from the one before it",
    "counter_restart": "the counter went on from it: a restart, the jump not booked",
    "power_spike": "power sample above the limit",
    "counter_jump": "counter delta above the limit",
}


@dataclass(slots=True)
class _Throttle:
    """When each (meter, kind) last logged, and how many events went unlogged since."""

    every_s: float
    clock: Callable[[], float]
    last: dict[tuple[str, str], float] = field(default_factory=dict)
    held: Counter[tuple[str, str]] = field(default_factory=Counter)

    def due(self, key: tuple[str, str]) -> int | None:
        """None while the key is muted (the event is held); else how many were held before it."""
        now = self.clock()
        seen = self.last.get(key)
        if seen is not None and now - seen < self.every_s:
            self.held[key] += 1
            return None
        self.last[key] = now
        return self.held.pop(key, 0)


class FaultBook:
    """Per-meter counts of dropped readings (by reason) and of gaps, with rate-limited logs."""

    def __init__(
        self, topo: Topology, every_s: float = LOG_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.topo = topo
        self.dropped: Counter[tuple[str, str]] = Counter()  # (meter, reason) -> readings
        self.gaps: Counter[str] = Counter()  # meter -> intervals longer than max_gap
        self.gap_s: dict[str, float] = {}  # meter -> seconds inside those intervals
        self._throttle = _Throttle(every_s, clock)
        self.letters: deque[dict[str, Any]] = deque()  # dead letters not yet taken
        self.letters_dropped = 0
        self.events: deque[Verdict] = deque(maxlen=LETTERS_MAX)  # for the data-plausibility alert

    def suspect(self, v: Verdict, source: str = "limit") -> None:
        """A reading held as suspect and then not booked (``plausibility.py``)."""
        ch = self.topo.channels[v.chan]
        raw = v.value / float(self.topo.scale[v.chan] or 1.0)
        self._drop(ch.id, v.reason, v.ts, raw, v.rate, v.limit * _HEADROOM, source)
        self.events.append(v)
        if len(self.letters) >= LETTERS_MAX:
            self.letters.popleft()
            self.letters_dropped += 1
        self.letters.append(
            {
                "meter": ch.id,
                "device": ch.device,
                "point": ch.point,
                "sample_ts": v.ts,
                "value": raw,
                "cause": v.reason,
                "detail": f"{_WHY.get(v.reason, v.reason)}; implied rate {v.rate:.6g} per hour,"
                f" limit {v.limit * _HEADROOM:.6g} ({source} + 20 %)",
            }
        )

    def take_letters(self) -> list[dict[str, Any]]:
        out = list(self.letters)
        self.letters.clear()
        return out

    def take_events(self) -> list[Verdict]:
        out = list(self.events)
        self.events.clear()
        return out

    def note(
        self,
        c: np.ndarray,
        t0: np.ndarray,
        v0: np.ndarray,
        t1: np.ndarray,
        v1: np.ndarray,
        qty: np.ndarray,
        flags: Flags,
        limit_per_h: np.ndarray,
    ) -> None:
        """Record the flagged intervals of one call (rare: a Python loop over those rows only)."""
        limit = limit_per_h * _HEADROOM
        # A power spike voids both intervals touching the sample: count the reading once, at
        # the interval it ends (or, for a meter's very first reading, the one it starts).
        spike = flags.wild & (v1 > limit)
        first = flags.wild & (v0 > limit) & ~spike
        for i in np.flatnonzero(flags.jump | spike | first | flags.gap).tolist():
            ch = int(c[i])
            hours = float(t1[i] - t0[i]) / MS_PER_H
            if flags.jump[i]:
                rate = float(flags.delta[i]) / hours if hours > 0 else float("inf")
                self.suspect(Verdict(ch, int(t1[i]), float(v1[i]), COUNTER_JUMP, rate, float(limit_per_h[i])))
            if spike[i] or first[i]:
                t, v = (int(t1[i]), float(v1[i])) if spike[i] else (int(t0[i]), float(v0[i]))
                self.suspect(Verdict(ch, t, v, POWER_SPIKE, v, float(limit_per_h[i])))
            meter = self.topo.channels[ch].id
            if flags.gap[i]:
                counter = bool(self.topo.is_counter[int(c[i])])
                # A power gap is not integrated: log what its ends' mean power would have made.
                energy = float(qty[i]) if counter else max(0.5 * float(v0[i] + v1[i]), 0.0) * hours
                self._gap(meter, int(t0[i]), int(t1[i]), energy, counter, bool(flags.reset[i]))

    def _drop(
        self,
        meter: str,
        reason: str,
        ts: int,
        value: float,
        rate: float,
        limit: float,
        source: str = "max_rate",
    ) -> None:
        self.dropped[(meter, reason)] += 1
        held = self._throttle.due((meter, reason))
        if held is not None:
            log.warning(
                "meter %s: reading %.6g at %s not booked (%s: %s): implied rate %.6g per hour > limit %.6g"
                " (%s %.6g + 20%%); %d more since the last such line",
                meter,
                value,
                iso_ms(ts),
                reason,
                _WHY.get(reason, reason),
                rate,
                limit,
                source,
                limit / _HEADROOM,
                held,
            )

    def _gap(self, meter: str, t0: int, t1: int, energy: float, counter: bool, reset: bool = False) -> None:
        self.gaps[meter] += 1
        self.gap_s[meter] = self.gap_s.get(meter, 0.0) + (t1 - t0) / 1000
        held = self._throttle.due((meter, GAP))
        if held is not None:
            booked = "booked as estimated" if counter else "not integrated (power), would be"
            if reset:  # plausibility.py estimated it: the counter's difference is unknown
                booked = "unknown (counter reset inside), estimated from the rates before and after at"
            log.warning(
                "meter %s: gap of %.0f s from %s to %s, energy %s %.6g; %d more gaps since the last line",
                meter,
                (t1 - t0) / 1000,
                iso_ms(t0),
                iso_ms(t1),
                booked,
                energy,
                held,
            )


def iso_ms(ts: int) -> str:
    """A source timestamp (ms) as UTC ISO 8601, for log lines."""
    return dt.datetime.fromtimestamp(ts / 1000, dt.UTC).isoformat(timespec="milliseconds")
