"""Recent samples of power channels, so that a late power sample inside one minute can split its interval.

A counter interval inside one minute may be split without changing the minute's total; a
power interval may not (the trapezoid changes), so the samples of power channels are kept
while their minute is still open to late samples. Numpy chunks per channel, 16 bytes a
sample; not part of the snapshot (it would be the bulk of it): after a restart, a late power
sample whose neighbours came before the restart changes nothing, as before.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Chunk = tuple[np.ndarray, np.ndarray]  # timestamps (ms, ascending), values


class PowerTrail:
    """Per power channel: the samples kept, ascending in time."""

    def __init__(self) -> None:
        self._chunks: dict[int, list[Chunk]] = {}

    def extend(
        self, chan: np.ndarray, ts: np.ndarray, val: np.ndarray, t0: np.ndarray, v0: np.ndarray
    ) -> None:
        """Append in-order samples sorted by channel, then time; ``t0``/``v0`` are each one's predecessor.

        A channel with nothing kept starts from the predecessor of its first sample (a baseline
        restored from a snapshot, say), when there is one.
        """
        if len(chan) == 0:
            return
        starts = np.flatnonzero(np.r_[True, chan[1:] != chan[:-1]])
        ends = np.r_[starts[1:], len(chan)]
        for c, a, b in zip(chan[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
            chunks = self._chunks.get(c)
            if chunks is None:
                chunks = self._chunks[c] = []
                if t0[a] >= 0:
                    chunks.append((t0[a : a + 1], v0[a : a + 1]))
            chunks.append((ts[a:b], val[a:b]))

    def _arrays(self, c: int) -> Chunk | None:
        chunks = self._chunks.get(c)
        if not chunks:
            return None
        if len(chunks) > 1:
            chunks[:] = [(np.concatenate([x[0] for x in chunks]), np.concatenate([x[1] for x in chunks]))]
        return chunks[0]

    def has(self, c: int, t: int) -> bool:
        arr = self._arrays(c)
        if arr is None:
            return False
        i = int(np.searchsorted(arr[0], t))
        return i < len(arr[0]) and int(arr[0][i]) == t

    def around(self, c: int, t: int) -> tuple[int, float, int, float] | None:
        """The kept samples just before and just after ``t`` (t0, v0, t1, v1), if both are kept."""
        arr = self._arrays(c)
        if arr is None:
            return None
        ts, vs = arr
        i = int(np.searchsorted(ts, t))
        if i == 0 or i == len(ts) or int(ts[i]) == t:
            return None
        return int(ts[i - 1]), float(vs[i - 1]), int(ts[i]), float(vs[i])

    def add(self, c: int, t: int, v: float) -> None:
        """Keep a late sample in its place (a known timestamp is left as it is)."""
        arr = self._arrays(c)
        if arr is None:
            self._chunks[c] = [(np.array([t], dtype=np.int64), np.array([v]))]
            return
        ts, vs = arr
        i = int(np.searchsorted(ts, t))
        if i < len(ts) and int(ts[i]) == t:
            return
        self._chunks[c] = [(np.insert(ts, i, t), np.insert(vs, i, v))]

    def prune(self, expired: Callable[[np.ndarray], np.ndarray]) -> None:
        """Drop the oldest samples while ``expired(ts)`` holds (it must be monotonic in ts)."""
        for c in list(self._chunks):
            arr = self._arrays(c)
            if arr is None:
                del self._chunks[c]
                continue
            ts, vs = arr
            n = int(np.count_nonzero(expired(ts)))
            if n == len(ts):
                del self._chunks[c]
            elif n:
                self._chunks[c] = [(ts[n:].copy(), vs[n:].copy())]

    def __len__(self) -> int:
        return sum(len(x[0]) for chunks in self._chunks.values() for x in chunks)
