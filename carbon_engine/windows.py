"""Tumbling event-time windows (1 min, 15 min, 1 h, 1 day in site local time) with allowed lateness.

Every window holds per-channel sums. A window is due once the watermark passes its end; it
is published again whenever a late sample changes it, until the watermark passes its end
plus the allowed lateness: then it closes, and later contributions to it are dropped (counted).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

import numpy as np

from carbon_engine import trace
from carbon_engine.energy import MIN_MS

SIZES_MS: dict[str, int] = {"1m": 60_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000}


@dataclass(slots=True)
class Acc:
    """Per-channel sums of one window: quantity, estimated part, location kg, residual-mix kg,
    time backed by good samples (ms) and gaps ending in it; ``used``: each factor version and
    the channels valued with it (``carbon_engine.trace``)."""

    size: str
    start: int
    end: int
    qty: np.ndarray
    est: np.ndarray
    loc: np.ndarray
    rm: np.ndarray
    cov: np.ndarray
    gaps: np.ndarray
    used: trace.Used = field(default_factory=dict)
    revision: int = 0
    dirty: bool = True
    # Values of each node's result as last published: a recomputation that changes nothing
    # is not published again (after a restart, or seen from a standby).
    sent: dict[str, dict[str, float]] = field(default_factory=dict)
    # Per line-state slot: energy kWh, electricity kWh, Scope 1 kg, heat kg (line_states.py).
    st: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))

    @staticmethod
    def new(size: str, start: int, end: int, n: int, slots: int = 0) -> Acc:
        z = np.zeros
        return Acc(size, start, end, z(n), z(n), z(n), z(n), z(n), z(n), st=z((slots, 4)))

    def dump(self) -> dict[str, object]:
        return {
            "size": self.size,
            "start": self.start,
            "end": self.end,
            "qty": self.qty.tolist(),
            "est": self.est.tolist(),
            "loc": self.loc.tolist(),
            "rm": self.rm.tolist(),
            "cov": self.cov.tolist(),
            "gaps": self.gaps.tolist(),
            "used": trace.dump(self.used),
            "revision": self.revision,
            "dirty": self.dirty,
            "sent": self.sent,
            "st": self.st.tolist(),
        }

    @staticmethod
    def load(d: dict[str, object]) -> Acc:
        def arr(k: str) -> np.ndarray:
            if k not in d:  # snapshots of older versions: nothing covered, no gaps
                return np.zeros(len(d["qty"]))  # type: ignore[arg-type]
            return np.array(d[k], dtype=np.float64)

        qty = arr("qty")
        return Acc(
            str(d["size"]),
            int(str(d["start"])),
            int(str(d["end"])),
            qty,
            arr("est"),
            arr("loc"),
            arr("rm"),
            arr("cov"),
            arr("gaps"),
            trace.load(d.get("used"), len(qty)),
            int(str(d["revision"])),
            bool(d["dirty"]),
            _sent(d.get("sent")),
            np.array(d.get("st") or [], dtype=np.float64).reshape(-1, 4),
        )


def _sent(raw: object) -> dict[str, dict[str, float]]:
    if not isinstance(raw, dict):
        return {}
    return {str(node): {str(k): float(v) for k, v in vals.items()} for node, vals in raw.items()}


def same_values(a: dict[str, float], b: dict[str, float], rel: float = 1e-9) -> bool:
    """The same points with values equal to ``rel`` (summation order moves the last bits)."""
    if a.keys() != b.keys():
        return False
    return all(abs(v - b[k]) <= rel * max(1.0, abs(v), abs(b[k])) for k, v in a.items())


class Calendar:
    """Window boundaries in the site's time zone."""

    def __init__(self, tz: str) -> None:
        self.tz = zoneinfo.ZoneInfo(tz)
        self._days: dict[int, tuple[int, int]] = {}

    def offset_ms(self, ts: int) -> int:
        off = dt.datetime.fromtimestamp(ts / 1000, self.tz).utcoffset()
        return int(off.total_seconds() * 1000) if off is not None else 0

    def window(self, size: str, minute_ms: int) -> tuple[int, int]:
        """(start, end) of the ``size`` window holding the minute starting at ``minute_ms``."""
        if size == "1m":
            return minute_ms, minute_ms + MIN_MS
        if size == "1d":
            return self.day(minute_ms)
        s = SIZES_MS[size]
        off = self.offset_ms(minute_ms)
        start = (minute_ms + off) // s * s - off
        return start, start + s

    def day(self, ts: int) -> tuple[int, int]:
        """Local midnight to next local midnight around ``ts`` (23 or 25 h across DST changes)."""
        key = (ts + self.offset_ms(ts)) // 86_400_000
        hit = self._days.get(key)
        if hit is None:
            d = dt.datetime.fromtimestamp(ts / 1000, self.tz).date()
            start = dt.datetime(d.year, d.month, d.day, tzinfo=self.tz)
            nxt = d + dt.timedelta(days=1)
            end = dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=self.tz)
            hit = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
            self._days[key] = hit
        return hit


class WindowStore:
    """Open windows of every size, keyed by start."""

    def __init__(self, n: int, cal: Calendar, sizes: list[str], lateness_ms: int, slots: int = 0) -> None:
        self.n = n
        self.slots = slots
        self.cal = cal
        self.sizes = sizes
        self.lateness_ms = lateness_ms
        self.open: dict[str, dict[int, Acc]] = {s: {} for s in sizes}
        self.watermark = -1
        self.dropped: dict[str, int] = dict.fromkeys(sizes, 0)

    def add(
        self,
        minute_ms: int,
        qty: np.ndarray,
        est: np.ndarray,
        loc: np.ndarray,
        rm: np.ndarray,
        cov: np.ndarray,
        gaps: np.ndarray,
        used: trace.Used,
        st: np.ndarray | None = None,
    ) -> None:
        """Add one minute's per-channel sums (and line-state sums) to every open window holding it."""
        for size in self.sizes:
            start, end = self.cal.window(size, minute_ms)
            if end + self.lateness_ms <= self.watermark:
                self.dropped[size] += 1
                continue
            acc = self.open[size].get(start)
            if acc is None:
                acc = self.open[size][start] = Acc.new(size, start, end, self.n, self.slots)
            if st is not None:
                acc.st += st
            acc.qty += qty
            acc.est += est
            acc.loc += loc
            acc.rm += rm
            acc.cov += cov
            acc.gaps += gaps
            trace.merge(acc.used, used)
            acc.dirty = True

    def due(self) -> list[Acc]:
        """Windows past their end that changed since they were last published (oldest first)."""
        out = [a for s in self.sizes for a in self.open[s].values() if a.dirty and a.end <= self.watermark]
        out.sort(key=lambda a: (a.end, SIZES_MS[a.size]))
        return out

    def close(self) -> list[Acc]:
        """Remove and return windows whose lateness has expired."""
        gone = []
        for size in self.sizes:
            for start in [
                s for s, a in self.open[size].items() if a.end + self.lateness_ms <= self.watermark
            ]:
                gone.append(self.open[size].pop(start))
        return gone

    def get(self, size: str, start: int) -> Acc | None:
        return self.open.get(size, {}).get(start)

    def horizon(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """When a span (t0, t1] stops mattering: end of the largest window it crosses + lateness."""
        off = self.cal.offset_ms(int(t1[0])) if len(t1) else 0
        last = t1 - 1
        until = (last // MIN_MS + 1) * MIN_MS
        for size in ("15m", "1h", "1d"):
            s = SIZES_MS[size]
            crosses = (t0 + off) // s != (last + off) // s
            until = np.where(crosses, ((last + off) // s + 1) * s - off, until)
        return until + self.lateness_ms + MIN_MS
