"""Routing a batch of device messages to channel samples with C-level passes only.

Each field is pulled out of the msgspec structs with ``map(attrgetter)`` and the point names are
routed with ``map(dict.get)`` through a table per device; the points to skip (unknown, or of
unusable quality) are masked out in numpy, so no Python bytecode runs per point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import attrgetter

import numpy as np

from iiot_core.model import Quality, Telemetry

USABLE = (Quality.GOOD, Quality.ESTIMATED)
_USABLE_SET = frozenset(USABLE)

_DEVICE = attrgetter("device")
_POINTS = attrgetter("points")
_NAME = attrgetter("name")
_TS = attrgetter("ts")
_VALUE = attrgetter("value")
_QUALITY = attrgetter("quality")
_NO_POINTS: dict[str, int] = {}  # the table of a device the plant does not know; never written


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


def by_device(route: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    """``route`` as device -> point name -> channel: two lookups without a key tuple per point."""
    out: dict[str, dict[str, int]] = {}
    for (device, name), chan in route.items():
        out.setdefault(device, {})[name] = chan
    return out


def route_batch(tables: dict[str, dict[str, int]], msgs: Sequence[Telemetry]) -> Routed:
    """Channel index, timestamp and value of every usable point of ``msgs`` (all of one site).

    ``tables`` is the plant's route as made by ``by_device``.
    """
    plists = list(map(_POINTS, msgs))
    counts = list(map(len, plists))
    flat = list(chain.from_iterable(plists))
    n = len(flat)
    tabs: Iterable[dict[str, int]] = map(tables.get, map(_DEVICE, msgs), repeat(_NO_POINTS))
    if counts.count(1) != len(counts):  # not one point per message: repeat the table per point
        tabs = chain.from_iterable(map(repeat, tabs, counts))
    chan = np.fromiter(map(dict.get, tabs, map(_NAME, flat), repeat(-1)), dtype=np.int64, count=n)
    routed = chan >= 0
    n_routed = int(np.count_nonzero(routed))
    pts = flat if n_routed == n else list(compress(flat, routed.tolist()))  # fields of routed points only
    quals = list(map(_QUALITY, pts))
    ts = np.fromiter(map(_TS, pts), dtype=np.int64, count=n_routed)
    val = np.fromiter(map(_VALUE, pts), dtype=np.float64, count=n_routed)
    if quals.count(Quality.GOOD) == n_routed:
        if n_routed == n:
            return Routed(chan, ts, val, counts, None, 0, 0)
        return Routed(chan[routed], ts, val, counts, routed, n - n_routed, 0)
    usable = np.fromiter(map(_USABLE_SET.__contains__, quals), dtype=bool, count=n_routed)
    keep = routed.copy()
    keep[routed] = usable
    kept = int(np.count_nonzero(usable))
    return Routed(chan[keep], ts[usable], val[usable], counts, keep, n - n_routed, n_routed - kept)


__all__ = ["USABLE", "Routed", "by_device", "route_batch"]
