"""Factor traceability: which factor versions went into which channel, and into which node's result.

A window keeps, per factor ``id@version``, the mask of channels whose quantity in it was valued
with that factor (pieces of zero quantity count for nothing). A node's result lists:

- for its electricity (when it consumed any): the grid factors of the site's supply in that
  window - location-based and residual mix on the grid meters (the residual mix only when
  green-power instruments left some grid import uncovered), and the generation meters' when
  self-consumed renewables count at the grid average - since Scope 2 is settled at the site and
  allocated to nodes by their consumption;
- for every other carrier: the factors of its own meters (fuels, heat and steam, hydrogen).

So a gas meter, a production counter, or a line that drew no electricity lists no grid factor.
"""

from __future__ import annotations

import numpy as np

from carbon_engine.factors import FactorLibrary
from carbon_engine.topology import Topology

Used = dict[str, np.ndarray]  # id@version -> bool mask over channels


def merge(dst: Used, src: Used) -> None:
    """OR ``src``'s channel masks into ``dst``."""
    for tag, mask in src.items():
        have = dst.get(tag)
        dst[tag] = mask.copy() if have is None else have | mask


def dump(used: Used) -> dict[str, list[int]]:
    return {tag: np.flatnonzero(mask).tolist() for tag, mask in sorted(used.items())}


def load(raw: object, n: int) -> Used:
    """``dump`` output back to masks; anything else (a snapshot from before per-channel tags) is empty."""
    if not isinstance(raw, dict):
        return {}
    out: Used = {}
    for tag, idx in raw.items():
        mask = np.zeros(n, dtype=bool)
        mask[[int(i) for i in idx if 0 <= int(i) < n]] = True
        out[str(tag)] = mask
    return out


class Tracer:
    """Masks of a topology: records usage per minute, lists each node's factor versions per window."""

    def __init__(self, topo: Topology, library: FactorLibrary, zero_onsite: bool) -> None:
        self.n = topo.n
        self.zero_onsite = zero_onsite
        self.slot_mask = [(topo.loc_slot == s) | (topo.rm_slot == s) for s in range(len(topo.slots))]
        # Versions of the residual mix: market-based only, for the import instruments left uncovered.
        self.residual_tags = {e.tag for e in library.entries if e.kind == "residual_mix"}
        elec = topo.carrier_mask("electricity")
        roots = np.array([c.parent is None for c in topo.channels], dtype=bool)
        self.grid = topo.role_mask("grid_import", "consumption") & elec & roots
        self.gen = topo.role_mask("generation")
        self.other = ~elec
        self.a_nz = topo.a != 0

    def minutes(
        self, minute_idx: np.ndarray, chan: np.ndarray, qty: np.ndarray, tags: list[list[str | None]]
    ) -> list[Used]:
        """Per minute (index into ``tags``): each factor version and the channels valued with it."""
        out: list[Used] = [{} for _ in tags]
        nz = qty != 0
        pairs = np.unique(minute_idx[nz] * self.n + chan[nz])
        mins, chans = pairs // self.n, pairs % self.n
        bounds = np.searchsorted(mins, np.arange(len(tags) + 1))
        for u, row in enumerate(tags):
            lo, hi = int(bounds[u]), int(bounds[u + 1])
            if lo == hi:
                continue
            present = np.zeros(self.n, dtype=bool)
            present[chans[lo:hi]] = True
            used = out[u]
            for s, tag in enumerate(row):
                if tag is None:
                    continue
                m = present & self.slot_mask[s]
                if m.any():
                    have = used.get(tag)
                    used[tag] = m if have is None else have | m
        return out

    def node_tags(
        self, used: Used, electricity_kwh: np.ndarray, self_consumed_kwh: float, uncovered_kwh: float
    ) -> list[tuple[str, ...]]:
        """Each node's factor versions (sorted), given its electricity, the site's self-consumption
        and the grid import no instrument covered (valued at the residual mix)."""
        elec = {t for t, m in used.items() if (m & self.grid).any()}
        if uncovered_kwh <= 1e-9:
            elec -= self.residual_tags
        if not self.zero_onsite and self_consumed_kwh > 0:
            elec |= {t for t, m in used.items() if (m & self.gen).any()}
        per_node: list[set[str]] = [set() for _ in range(len(electricity_kwh))]
        for tag, mask in used.items():
            mine = mask & self.other
            if mine.any():
                for r in np.flatnonzero(self.a_nz[:, mine].any(axis=1)).tolist():
                    per_node[r].add(tag)
        draws = np.abs(np.nan_to_num(electricity_kwh)) > 1e-9
        return [tuple(sorted(s | elec if d else s)) for s, d in zip(per_node, draws.tolist(), strict=True)]
