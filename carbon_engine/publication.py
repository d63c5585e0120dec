"""Which window results go out: a result is published only when its values changed.

Each open window remembers, per node, the values it last published (``Acc.sent``, kept in the
snapshot; the journal's marks restore the ones published after it). A recomputation that
changes nothing - after a restart, or one whose late sample moved nothing - is not sent again.

A standby engine (``publishing`` false) computes the same windows but holds its results; what
the active engine publishes on the result topics is recorded here as if sent, and drops the
held result it equals. On take-over the held results that the active one never published go
out, numbered after the active one's last ``seq`` of the series.
"""

from __future__ import annotations

from carbon_engine.journal import Mark
from carbon_engine.results import WindowResult
from carbon_engine.windows import SIZES_MS, WindowStore, same_values

Key = tuple[str, str, int]  # node, size, window start


class Publications:
    """Publication memory of one engine: series numbers, sent values, held and foreign results."""

    def __init__(self, windows: WindowStore) -> None:
        self.windows = windows
        self.seq: dict[str, int] = {}  # f"{node}|{size}" -> last seq published
        self.publishing = True
        self.held: dict[Key, WindowResult] = {}
        self.foreign: dict[Key, dict[str, float]] = {}  # published elsewhere, window not open here yet
        self.suppressed = 0  # recomputations equal to what was published
        self.published = 0

    def changed(self, results: list[WindowResult]) -> list[WindowResult]:
        """The results to publish now; when not publishing they are held instead."""
        self._prune()
        out = []
        for r in results:
            key = (r.node, r.size, r.start)
            acc = self.windows.get(r.size, r.start)
            prev = acc.sent.get(r.node) if acc is not None else None
            if prev is None:
                prev = self.foreign.pop(key, None)
            if prev is not None and same_values(prev, r.values):
                self.suppressed += 1
                continue
            if acc is not None:
                acc.sent[r.node] = r.values
            if self.publishing:
                out.append(r)
                self.published += 1
            else:
                self.held[key] = r
        return out

    def next_seq(self, r: WindowResult) -> int:
        series = f"{r.node}|{r.size}"
        self.seq[series] = self.seq.get(series, 0) + 1
        return self.seq[series]

    def record(self, mark: Mark) -> None:
        """A result known to be published (a journal mark, or the active engine's message)."""
        node, size = mark.key.rsplit("|", 1)
        self.seq[mark.key] = max(self.seq.get(mark.key, 0), mark.seq)
        key = (node, size, mark.start)
        held = self.held.get(key)
        if held is not None and same_values(held.values, mark.values):
            del self.held[key]
        acc = self.windows.get(size, mark.start)
        if acc is not None:
            acc.sent[node] = mark.values
        else:
            self.foreign[key] = mark.values

    def release(self) -> list[WindowResult]:
        """Take over: stop holding; the held results, oldest window first."""
        self.publishing = True
        out = sorted(self.held.values(), key=lambda r: (r.end, SIZES_MS[r.size], r.node))
        self.held.clear()
        self.published += len(out)
        return out

    def _prune(self) -> None:
        """Forget held and foreign results of windows that have closed."""
        wm, late = self.windows.watermark, self.windows.lateness_ms

        def open_(k: Key) -> bool:
            return k[2] + SIZES_MS[k[1]] + late > wm

        if self.foreign:
            self.foreign = {k: v for k, v in self.foreign.items() if open_(k)}
        if self.held:
            self.held = {k: v for k, v in self.held.items() if open_(k)}
