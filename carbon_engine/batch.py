"""Routing a batch of device messages to channel samples with C-level passes only.

Each field is pulled out of the msgspec structs with ``map(attrgetter)`` and the point names are
routed with one ``map(dict.get)`` over (device, name) keys, so per-point Python bytecode runs
only on the slow path (unknown points or unusable quality in the batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import attrgetter

import numpy as np

from iiot_core.model import Quality, Telemetry

USABLE = (Quality.GOOD, Quality.ESTIMATED)

_DEVICE = attrgetter("device")
_POINTS = attrgetter("points")
_NAME = attrgetter("name")
_TS = attrgetter("ts")
_VALUE = attrgetter("value")
_QUALITY = attrgetter("quality")


@dataclass(slots=True)
class Routed:
    """The usable, routed samples of a batch in message order, with what was skipped."""

    chan: np.ndarray
    ts: np.ndarray
    value: np.ndarray
    counts: list[int]  # points per message
    keep: np.ndarray | None  # per point; None when every point was kept
    unrouted: int
    bad_quality: int

    def ends(self) -> np.ndarray:
        """Kept samples up to and including each message (cumulative)."""
        owner = np.repeat(np.arange(len(self.counts)), self.counts)
        if self.keep is not None:
            owner = owner[self.keep]
        return np.cumsum(np.bincount(owner, minlength=len(self.counts)))


def route_batch(route: dict[tuple[str, str], int], msgs: Sequence[Telemetry]) -> Routed:
    """Channel index, timestamp and value of every usable point of ``msgs`` (all of one site)."""
    plists = list(map(_POINTS, msgs))
    counts = list(map(len, plists))
    flat = list(chain.from_iterable(plists))
    n = len(flat)
    devs = list(map(_DEVICE, msgs))
    if counts.count(1) != len(counts):  # not one point per message: repeat the device per point
        devs = list(chain.from_iterable(map(repeat, devs, counts)))
    chan: list[int | None] = list(map(route.get, zip(devs, map(_NAME, flat), strict=True)))
    quals = list(map(_QUALITY, flat))
    ts = np.fromiter(map(_TS, flat), dtype=np.int64, count=n)
    val = np.fromiter(map(_VALUE, flat), dtype=np.float64, count=n)
    unrouted = chan.count(None)
    if unrouted == 0 and quals.count(Quality.GOOD) == n:
        return Routed(np.fromiter(chan, dtype=np.int64, count=n), ts, val, counts, None, 0, 0)
    routed = [c is not None for c in chan]
    keep = [r and q in USABLE for r, q in zip(routed, quals, strict=True)]
    mask = np.array(keep, dtype=bool)
    kept = np.array(list(compress(chan, keep)), dtype=np.int64)
    return Routed(kept, ts[mask], val[mask], counts, mask, unrouted, routed.count(True) - len(kept))


__all__ = ["USABLE", "Routed", "route_batch"]
