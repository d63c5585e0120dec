"""Energy and emissions per line state: what a line draws while running, idle, stopped, faulted.

A line's state point (``[[areas.lines]] state = {...}``) gives a timeline: a state holds from
its sample until the next one, at most ``hold_s``; before the first sample and after the hold
the state is ``unknown``. Every energy interval of the line's meters (the ones its roll-up
counts) is cut at the state changes inside it and shared by time, so per-state energy adds
up to the line's energy exactly. The split uses the states known when the interval is booked:
a state sample that arrives after the energy of its time was booked does not move that energy
(and should a late meter sample then split that interval, its undo is shared by the newer
states, which moves energy between states; the line total stays exact).
Per window and state slot four sums are kept (``COLS``); emissions follow the line's own:
Scope 1 and purchased heat as booked, electricity at the window's site factors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from carbon_engine.config import PlantCfg
from carbon_engine.energy import split_minutes
from carbon_engine.routing import USABLE
from carbon_engine.units import state_point
from iiot_core.model import Telemetry

if TYPE_CHECKING:
    from carbon_engine.meters import Intervals

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
_MAX_LOGGED = 100  # distinct unnamed codes logged; more are only counted
COLS = 4  # energy kWh, electricity kWh, Scope 1 kg, purchased heat kg


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One line with a state point: its node row, its states (``unknown`` last) and slots."""

    row: int
    device: str
    point: str
    names: tuple[str, ...]
    codes: dict[float, int]  # state code -> local slot
    idle: np.ndarray  # per local slot
    hold_ms: int
    first: int  # first global slot


class Timeline:
    """The state samples of one line as runs: (first sample, last sample, code)."""

    def __init__(self) -> None:
        self.start = np.zeros(0, dtype=np.int64)
        self.last = np.zeros(0, dtype=np.int64)
        self.code = np.zeros(0)

    def add(self, ts: np.ndarray, code: np.ndarray, hold_ms: int) -> None:
        """Merge samples; at one time the later wins. Runs break at a new code or a gap over the hold.

        A run keeps only its first and last sample: a late sample of another code inside a run
        starts a run there that lasts until the run's last sample."""
        two = self.last != self.start
        t = np.concatenate([self.start, self.last[two], ts])
        c = np.concatenate([self.code, self.code[two], code])
        order = np.argsort(t, kind="stable")
        t, c = t[order], c[order]
        keep = np.append(t[1:] != t[:-1], True)  # of equal times the last, i.e. the newest
        t, c = t[keep], c[keep]
        # Two neighbours inside one known run are no gap: the run's own samples lay between.
        run = np.searchsorted(self.start, t, side="right") - 1
        inside = (run >= 0) & (t <= self.last[np.maximum(run, 0)]) if len(self.start) else run >= 0
        same_run = inside[1:] & inside[:-1] & (run[1:] == run[:-1])
        new = np.ones(len(t), dtype=bool)
        new[1:] = (c[1:] != c[:-1]) | ((t[1:] - t[:-1] > hold_ms) & ~same_run)
        first = np.flatnonzero(new)
        ends = np.append(first[1:] - 1, len(t) - 1)
        self.start, self.last, self.code = t[first], t[ends], c[first]

    def changes(self, hold_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """Times from which a code holds (NaN: unknown), sorted."""
        stop = self.last + hold_ms
        nxt = np.append(self.start[1:], np.iinfo(np.int64).max)
        lapse = stop < nxt
        t = np.concatenate([self.start, stop[lapse]])
        c = np.concatenate([self.code, np.full(int(lapse.sum()), np.nan)])
        order = np.argsort(t, kind="stable")
        return t[order], c[order]

    def prune(self, before_ms: int, hold_ms: int) -> None:
        """Forget runs over before ``before_ms`` (energy that old is no longer booked)."""
        keep = self.last + hold_ms >= before_ms
        keep[-1:] = True
        self.start, self.last, self.code = self.start[keep], self.last[keep], self.code[keep]

    def dump(self) -> list[list[Any]]:
        return [self.start.tolist(), self.last.tolist(), self.code.tolist()]

    def load(self, raw: list[list[Any]]) -> None:
        self.start = np.array(raw[0], dtype=np.int64)
        self.last = np.array(raw[1], dtype=np.int64)
        self.code = np.array(raw[2], dtype=np.float64)


def compile_lines(cfg: PlantCfg, rows: dict[str, int]) -> list[LineSpec]:
    """The lines of ``cfg`` with a state point; ``rows`` maps a line's relative path to its node row."""
    out: list[LineSpec] = []
    first = 0
    for area in cfg.areas:
        for line in area.lines:
            st = line.state
            if st is None:
                continue
            names = (*st.states, UNKNOWN)
            codes = {float(code): i for i, code in enumerate(st.states.values())}
            idle = np.array([n in st.idle_states for n in names], dtype=bool)
            hold = int((st.hold_s or cfg.engine.max_gap_s) * 1000)
            row = rows[f"{area.id}/{line.id}"]
            out.append(LineSpec(row, st.device, st.point, names, codes, idle, hold, first))
            first += len(names)
    return out


class LineStates:
    """The state timelines of a plant's lines, and the per-state sums of their energy."""

    def __init__(self, specs: list[LineSpec], rollup: np.ndarray, weights: np.ndarray) -> None:
        self.specs = specs
        self.slots = sum(len(s.names) for s in specs)
        self.timelines = [Timeline() for _ in specs]
        self._route = {(s.device, s.point): i for i, s in enumerate(specs)}
        self._devices = {s.device for s in specs}
        # channel -> the line whose roll-up counts it (-1: none), and its (n x COLS) weights
        self.line_of = np.full(rollup.shape[1], -1, dtype=np.int64)
        for i, s in enumerate(specs):
            self.line_of[(rollup[s.row] > 0) & (np.abs(weights).sum(axis=1) > 0)] = i
        self.weights = weights
        self.samples = 0
        self.unnamed = 0  # usable state samples with a code their line does not name
        self._logged: set[tuple[int, float]] = set()
        self.points = self._points()

    def _points(self) -> list[str]:
        names = dict.fromkeys(n for s in self.specs for n in s.names)
        # The idle points are output points of every result (units.OUTPUT_UNITS), NaN elsewhere.
        return [state_point(n, w) for n in names for w in ("kwh", "kg")]

    # -- samples --------------------------------------------------------------------------

    def observe(self, msgs: Sequence[Telemetry]) -> int:
        """Take the usable state samples of ``msgs``; return how many state points they held."""
        if not self._devices:
            return 0
        got: dict[int, tuple[list[int], list[float]]] = {}
        seen = 0
        for m in msgs:
            if m.device not in self._devices:
                continue
            for p in m.points:
                i = self._route.get((m.device, p.name))
                if i is None:
                    continue
                seen += 1
                if p.quality in USABLE:
                    ts, code = got.setdefault(i, ([], []))
                    ts.append(p.ts)
                    code.append(p.value)
                    if p.value not in self.specs[i].codes:
                        self._unnamed(i, p.value)
        for i, (ts, code) in got.items():
            self._take(i, np.array(ts, dtype=np.int64), np.array(code, dtype=np.float64))
        return seen

    def index(self, device: str, point: str) -> int:
        """The line whose state point ``device``/``point`` is (-1: no line's)."""
        return self._route.get((device, point), -1)

    def observe_arrays(self, line: np.ndarray, ts: np.ndarray, code: np.ndarray) -> None:
        """Usable state samples as arrays (a replay from the store): line index, ts, code."""
        for i in np.unique(line).tolist():
            sel = line == i
            for c in set(code[sel].tolist()) - set(self.specs[i].codes):
                self._unnamed(i, c)
            self._take(i, ts[sel], code[sel])

    def _take(self, i: int, ts: np.ndarray, code: np.ndarray) -> None:
        self.timelines[i].add(ts, code, self.specs[i].hold_ms)
        self.samples += len(ts)

    def current(self, at_ms: int) -> dict[int, str]:
        """Node row -> the name of each line's state at ``at_ms``."""
        out = {}
        for tl, s in zip(self.timelines, self.specs, strict=True):
            at, code = tl.changes(s.hold_ms)
            k = int(np.searchsorted(at, at_ms, side="right")) - 1
            c = float(code[k]) if k >= 0 else float("nan")
            out[s.row] = s.names[s.codes.get(c, len(s.names) - 1)]
        return out

    def _unnamed(self, i: int, code: float) -> None:
        self.unnamed += 1
        if (i, code) not in self._logged and len(self._logged) < _MAX_LOGGED:
            self._logged.add((i, code))
            s = self.specs[i]
            log.warning(
                "state code no state names device=%s point=%s code=%s: its energy counts as unknown",
                s.device,
                s.point,
                code,
            )

    def prune(self, before_ms: int) -> None:
        for tl, s in zip(self.timelines, self.specs, strict=True):
            tl.prune(before_ms, s.hold_ms)

    # -- energy ---------------------------------------------------------------------------

    def cut(
        self, chan: np.ndarray, t0: np.ndarray, t1: np.ndarray, qty: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The intervals of stateful lines cut at their state changes: chan, slot, t0, t1, qty."""
        parts: list[tuple[np.ndarray, ...]] = []
        line = self.line_of[chan]
        for i, s in enumerate(self.specs):
            sel = np.flatnonzero(line == i)
            if len(sel):
                parts.append(self._cut_line(i, s, chan[sel], t0[sel], t1[sel], qty[sel]))
        if not parts:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z, z, np.zeros(0)
        c, sl, a, b, q = (np.concatenate([p[k] for p in parts]) for k in range(5))
        return c, sl, a, b, q

    def _cut_line(
        self, i: int, s: LineSpec, chan: np.ndarray, t0: np.ndarray, t1: np.ndarray, qty: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        at, code = self.timelines[i].changes(s.hold_ms)
        unknown = len(s.names) - 1
        # A code the line does not name, and NaN (no state), are the unknown state.
        local = np.array([s.codes.get(c, unknown) for c in code.tolist()] + [unknown], dtype=np.int64)
        lo = np.searchsorted(at, t0, side="right") - 1  # the change in force at t0 (-1: none yet)
        hi = np.searchsorted(at, t1, side="left")  # changes before t1
        slot = local[lo]  # local[-1] is the unknown state
        inside = hi - lo > 1
        if not inside.any():
            return chan, slot + s.first, t0, t1, qty
        keep = np.flatnonzero(~inside)
        parts = [(chan[keep], slot[keep], t0[keep], t1[keep], qty[keep])]
        for k in np.flatnonzero(inside).tolist():
            edges = np.array([t0[k], *at[lo[k] + 1 : hi[k]], t1[k]], dtype=np.int64)
            slots = np.array([slot[k], *local[lo[k] + 1 : hi[k]]], dtype=np.int64)
            share = np.diff(edges) / float(t1[k] - t0[k])
            n = len(slots)
            parts.append((np.full(n, chan[k]), slots, edges[:-1], edges[1:], qty[k] * share))
        c, sl, a, b, q = (np.concatenate([p[x] for p in parts]) for x in range(5))
        return c, sl + s.first, a, b, q

    def window_sums(
        self,
        iv: Intervals,
        cutoff_ms: int,
        minutes: np.ndarray,
        floc_of: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ) -> np.ndarray | None:
        """Per minute of ``minutes`` and state slot, the ``COLS`` sums of the intervals ``iv``.

        ``floc_of(minute_index, chan)`` gives each piece's location factor (kg per unit)."""
        if not self.slots:
            return None
        c, slot, t0, t1, qty = self.cut(iv.chan, iv.t0, iv.t1, iv.qty)
        out = np.zeros((len(minutes), self.slots, COLS))
        if not len(c):
            return out
        none = np.zeros(len(c))
        pieces = split_minutes(np.arange(len(c)), t0, t1, qty, none.astype(bool), cutoff_ms, none, none)
        if not len(pieces.chan):
            return out
        ch = c[pieces.chan]
        u = np.searchsorted(minutes, pieces.minute)
        w = self.weights[ch] * pieces.qty[:, None]
        floc = floc_of(u, ch)
        w[:, 2] *= floc
        w[:, 3] *= floc
        key = u * self.slots + slot[pieces.chan]
        for k in range(COLS):
            out[:, :, k] = np.bincount(key, weights=w[:, k], minlength=out.shape[0] * self.slots).reshape(
                len(minutes), self.slots
            )
        return out

    # -- outputs --------------------------------------------------------------------------

    def outputs(self, out: np.ndarray, col: dict[str, int], st: np.ndarray, l_e: float, m_e: float) -> None:
        """Fill the state points of each stateful line's row of ``out`` from a window's sums."""
        for s in self.specs:
            sums = st[s.first : s.first + len(s.names)]
            energy, elec, s1, heat = (sums[:, k] for k in range(COLS))
            market = s1 + elec * m_e + heat
            location = s1 + elec * l_e + heat
            row = out[s.row]
            for k, name in enumerate(s.names):
                row[col[state_point(name, "kwh")]] = energy[k]
                row[col[state_point(name, "kg")]] = market[k]
            idle = float(energy[s.idle].sum())
            total = float(energy.sum())
            row[col["idle_energy_kwh"]] = idle
            row[col["idle_share"]] = idle / total if total > 0 else 0.0
            row[col["idle_kg"]] = float(market[s.idle].sum())
            row[col["idle_location_kg"]] = float(location[s.idle].sum())

    # -- state across restarts ------------------------------------------------------------

    def dump(self) -> list[list[list[Any]]]:
        return [tl.dump() for tl in self.timelines]

    def load(self, raw: list[list[list[Any]]] | None) -> None:
        for tl, r in zip(self.timelines, raw or [], strict=False):
            tl.load(r)
