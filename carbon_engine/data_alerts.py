"""Built-in alerts on the data itself, and the engine's dead letters.

- ``data_plausibility`` (warning), per meter: raised by every reading the plausibility guard
  did not book (``plausibility.py``); cleared once the meter had none for
  ``[engine] plausibility_clear_s`` on the engine clock.
- ``data_coverage`` (warning), per meter: raised when a meter's coverage of a
  ``[engine] coverage_window`` window (or the smallest window kept) is below
  ``[engine] min_coverage``, cleared by the next window at or above it (0 turns it off).

Messages are in English only (alerts carry no second language yet). Dead letters of the engine
- readings not booked, with device, point, value as received and the reason - go to
``zcf/v1/{site}/_deadletter/engine``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from carbon_engine.alerts import AlertBook
from carbon_engine.config import PlantCfg
from carbon_engine.faults import iso_ms
from carbon_engine.plausibility import Verdict
from carbon_engine.results import Outbound
from carbon_engine.topology import Topology
from carbon_engine.view import AlertView
from iiot_core import topics

PLAUSIBILITY = "data_plausibility"
COVERAGE = "data_coverage"
SERVICE = "engine"


class DataAlerts:
    """Evaluates the two built-in data rules into the alert book; returns the alerts that changed."""

    def __init__(self, plant: PlantCfg, topo: Topology, book: AlertBook) -> None:
        e = plant.engine
        self.site = plant.site.id
        self.book = book
        self.topo = topo
        self.clear_ms = e.plausibility_clear_s * 1000
        self.min_coverage = e.min_coverage
        sizes = list(e.windows)
        self.size = e.coverage_window if e.coverage_window in sizes else min(sizes, key=_order)
        self.subject = [_meter_path(self.site, c.node, c.id) for c in topo.channels]
        self.meters = [i for i, c in enumerate(topo.channels) if c.role != "self"]
        self.last_suspect: dict[int, int] = {}  # channel -> engine clock of its last one
        self.coverage: dict[str, float] = {}  # meter -> coverage of the last window judged
        self._cov_end: dict[int, int] = {}

    def on_tick(
        self, now_ms: int, events: list[Verdict], coverage: list[tuple[str, int, np.ndarray]]
    ) -> list[AlertView]:
        """Suspect readings since the last tick, and the coverage of windows just computed."""
        out: list[AlertView | None] = []
        for v in events:
            self.last_suspect[v.chan] = now_ms
            ch = self.topo.channels[v.chan]
            raw = v.value / float(self.topo.scale[v.chan] or 1.0)
            en = (
                f"meter {ch.id} ({ch.device}/{ch.point}): reading {raw:.6g} at {iso_ms(v.ts)} not booked"
                f" ({v.reason}); implied rate {v.rate:.4g}/h above the limit {v.limit * 1.2:.4g}/h"
            )
            zh = (
                f"计量表 {ch.id}({ch.device}/{ch.point}): {iso_ms(v.ts)} 的读数 {raw:.6g} 未计入"
                f"({v.reason}); 推算速率 {v.rate:.4g}/h 超过上限 {v.limit * 1.2:.4g}/h"
            )
            msg = (en, zh)
            out.append(self.book.raise_(PLAUSIBILITY, self.subject[v.chan], "warning", msg, raw, v.ts))
        for c, seen in list(self.last_suspect.items()):
            if now_ms - seen >= self.clear_ms:
                del self.last_suspect[c]
                out.append(self.book.clear(PLAUSIBILITY, self.subject[c], now_ms))
        for size, end, cov in coverage:
            if size == self.size:
                out += self._coverage(end, cov)
        return [a for a in out if a is not None]

    def _coverage(self, end: int, cov: np.ndarray) -> list[AlertView | None]:
        out: list[AlertView | None] = []
        for c in self.meters:
            share = float(cov[c])
            if np.isnan(share) or end < self._cov_end.get(c, -1):
                continue  # no part of the window, or a correction of an older one
            self._cov_end[c] = end
            self.coverage[self.topo.channels[c].id] = share
            if self.min_coverage <= 0:
                continue
            if share < self.min_coverage:
                meter = self.topo.channels[c].id
                msg = (
                    f"meter {meter}: {share:.0%} of the {self.size} window ending"
                    f" {iso_ms(end)} backed by good samples (below {self.min_coverage:.0%})",
                    f"计量表 {meter}: 截至 {iso_ms(end)} 的 {self.size} 窗口仅 {share:.0%} 有有效数据"
                    f"(低于 {self.min_coverage:.0%})",
                )
                out.append(self.book.raise_(COVERAGE, self.subject[c], "warning", msg, share, end))
            else:
                out.append(self.book.clear(COVERAGE, self.subject[c], end, share))
        return out

    def letters(self, letters: list[dict[str, Any]], now_ms: int) -> list[Outbound]:
        """Dead letters as messages on the engine's dead-letter topic."""
        topic = topics.deadletter(self.site, SERVICE)
        return [
            Outbound(topic, json.dumps({"service": SERVICE, "site": self.site, "ts": now_ms, **d}).encode())
            for d in letters
        ]

    def dump(self) -> dict[str, Any]:
        return {"last_suspect": {str(c): t for c, t in self.last_suspect.items()}, "coverage": self.coverage}

    def load(self, data: dict[str, Any] | None) -> None:
        if data:
            self.last_suspect = {int(c): int(t) for c, t in data.get("last_suspect", {}).items()}
            self.coverage = {str(m): float(v) for m, v in data.get("coverage", {}).items()}


def _meter_path(site: str, node: str, meter: str) -> str:
    return f"{site}/{node}/{meter}" if node else f"{site}/{meter}"


def _order(size: str) -> int:
    return {"1m": 0, "15m": 1, "1h": 2, "1d": 3}[size]
