"""How fresh each node's live values are: its as-of time, its age and its stale limit.

A node's as-of time is the newest sample of the channels behind it (its roll-up rows of the
topology); its limit is ``[engine] stale_after_s`` when set, else 3 x the slowest
``poll_interval_s`` of those meters, never under 30 s (meters without one count as polled fast).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbon_engine.config import PlantCfg
from carbon_engine.topology import Topology

MIN_STALE_S = 30.0
POLLS_BEFORE_STALE = 3.0


@dataclass(frozen=True, slots=True)
class Fresh:
    ts: int  # ms since epoch of the node's newest sample, 0 before any
    age_s: float | None  # engine clock minus ts; None before any sample
    stale: bool
    stale_after_s: float


class Freshness:
    """Per-node channel membership and stale limits, compiled once from the plant."""

    def __init__(self, plant: PlantCfg, topo: Topology) -> None:
        self.members = (topo.a != 0) | (topo.b != 0)  # nodes x channels
        self.has_members = self.members.any(axis=1)
        self.limits = node_limits(plant, topo, self.members)

    def of_nodes(self, last_ts: np.ndarray, site_ts: int, now_ms: int) -> list[Fresh]:
        """``last_ts``: each channel's newest sample (-1 = none); ``site_ts`` for nodes without meters."""
        newest = np.where(self.members, last_ts[np.newaxis, :], -1).max(axis=1, initial=-1)
        newest = np.where(self.has_members, newest, site_ts)
        return [fresh(int(t), now_ms, float(lim)) for t, lim in zip(newest, self.limits, strict=True)]


def fresh(ts: int, now_ms: int, limit_s: float) -> Fresh:
    if ts < 0:
        return Fresh(0, None, True, limit_s)
    age = max(0.0, (now_ms - ts) / 1000)
    return Fresh(ts, age, age > limit_s, limit_s)


def node_limits(plant: PlantCfg, topo: Topology, members: np.ndarray) -> np.ndarray:
    """Seconds after which each node's values are stale."""
    if plant.engine.stale_after_s is not None:
        return np.full(len(topo.nodes), plant.engine.stale_after_s)
    poll = np.array([_poll_s(plant, c.idx) for c in topo.channels])
    slowest = np.where(members, poll[np.newaxis, :], 0.0).max(axis=1, initial=0.0)
    return np.maximum(MIN_STALE_S, POLLS_BEFORE_STALE * slowest)


def _poll_s(plant: PlantCfg, idx: int) -> float:
    """A channel's poll interval; virtual channels (index past the meters) have none of their own."""
    meters = plant.meters
    return (meters[idx].poll_interval_s or 0.0) if idx < len(meters) else 0.0
