"""Window results: kept in memory for the API and published as telemetry on the result topics.

Topic ``zcf/v1/{site}/{area}/{line}/{node}/result`` (``_all`` for levels a node aggregates
over); payload: ``iiot_core.model.Telemetry`` with ``device`` = ``carbon-{window}`` for
site/area/line nodes and ``carbon-{window}.{meter}`` for meters, ``ts`` = window start, one
point per output, plus a point ``factor:{id}@{version}`` = 1 per emission-factor version that
went into that node's result (``carbon_engine.trace``: a gas meter lists no grid factor);
``seq`` counts publications of that result series, so a window corrected by a late sample
comes again with the same ``ts`` and a higher ``seq``.

A window's ``scope2_market_kg`` (and ``covered_kwh``, ``renewable_share``, the market-based
intensities) is an estimate: instruments are spread evenly over their validity and matched
window by window. The reported market-based figure of a period is matched within the period
(``carbon_engine/accounts/instruments.py``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from carbon_engine.accounting import CONTRACT_KINDS
from carbon_engine.freshness import Fresh
from carbon_engine.journal import Mark
from carbon_engine.topology import NodeSpec
from carbon_engine.units import CARRIER_POINTS, factor_point, unit_of
from carbon_engine.view import LiveValues
from iiot_core import topics
from iiot_core.codec import encode
from iiot_core.model import SCHEMA_VERSION, Point, Quality, Telemetry

HISTORY = {"1m": 180, "15m": 96, "1h": 72, "1d": 35}


@dataclass(frozen=True, slots=True)
class WindowResult:
    node: str
    size: str
    start: int
    end: int
    revision: int
    values: dict[str, float]
    factor_versions: tuple[str, ...]

    @property
    def estimated(self) -> bool:
        return self.values.get("estimated_share", 0.0) > 0


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message for the broker: results are not retained, alerts are; a result carries its mark."""

    topic: str
    payload: bytes
    retain: bool = False
    mark: Mark | None = None  # journalled once the broker acknowledges the message

    def dump(self) -> list[Any]:
        mark = [self.mark.key, self.mark.start, self.mark.seq, self.mark.values] if self.mark else None
        return [self.topic, self.payload.decode(), self.retain, mark]

    @staticmethod
    def load(raw: list[Any]) -> Outbound:
        topic, payload, retain, m = raw
        mark = (
            Mark(str(m[0]), int(m[1]), int(m[2]), {str(k): float(v) for k, v in m[3].items()}) if m else None
        )
        return Outbound(str(topic), str(payload).encode(), bool(retain), mark)


def device_name(node: NodeSpec, size: str) -> str:
    return f"carbon-{size}.{node.name}" if node.level == "meter" else f"carbon-{size}"


def to_results(
    nodes: list[NodeSpec],
    points: list[str],
    matrix: np.ndarray,
    size: str,
    start: int,
    end: int,
    revision: int,
    tags: list[tuple[str, ...]],
) -> list[WindowResult]:
    """One result per node; ``tags``: each node's factor versions (``carbon_engine.trace``)."""
    out = []
    for node, row, versions in zip(nodes, matrix.tolist(), tags, strict=True):
        values = {p: v for p, v in zip(points, row, strict=True) if not math.isnan(v)}
        out.append(WindowResult(node.path, size, start, end, revision, values, versions))
    return out


def to_message(site: str, node: NodeSpec, r: WindowResult, seq: int) -> Outbound:
    quality = Quality.ESTIMATED if r.estimated else Quality.GOOD
    pts = [Point(name=k, value=v, ts=r.start, unit=unit_of(k), quality=quality) for k, v in r.values.items()]
    pts += [Point(name=factor_point(tag), value=1.0, ts=r.start) for tag in r.factor_versions]
    area, line, _ = node.topic
    msg = Telemetry(
        schema=SCHEMA_VERSION,
        site=site,
        area=area,
        line=line,
        device=device_name(node, r.size),
        seq=seq,
        ts=r.start,
        points=pts,
    )
    # The topic names the series exactly as the payload does, so ingest can check one against the other.
    mark = Mark(f"{r.node}|{r.size}", r.start, seq, r.values)
    return Outbound(topics.result(site, area, line, msg.device), encode(msg), mark=mark)


class ResultHistory:
    """The latest results per (node, window size), newest last, corrected in place."""

    def __init__(self) -> None:
        self._by: dict[tuple[str, str], deque[WindowResult]] = {}

    def put(self, r: WindowResult) -> None:
        dq = self._by.setdefault((r.node, r.size), deque(maxlen=HISTORY.get(r.size, 100)))
        for i in range(len(dq) - 1, -1, -1):
            if dq[i].start == r.start:
                dq[i] = r
                return
            if dq[i].start < r.start:
                break
        dq.append(r)
        if len(dq) > 1 and dq[-2].start > r.start:
            items = sorted(dq, key=lambda x: x.start)
            dq.clear()
            dq.extend(items)

    def get(self, node: str | None = None, size: str | None = None) -> list[WindowResult]:
        out = [
            r
            for (n, s), dq in self._by.items()
            if (node is None or n == node) and (size is None or s == size)
            for r in dq
        ]
        return sorted(out, key=lambda r: (r.start, r.size, r.node))

    def latest(self, node: str, size: str) -> WindowResult | None:
        dq = self._by.get((node, size))
        return dq[-1] if dq else None


def result_series(site: str, nodes: list[NodeSpec], sizes: list[str]) -> dict[str, tuple[str, str]]:
    """Result topic -> (node path, window size), for every series of a site."""
    out = {}
    for n in nodes:
        area, line, _ = n.topic
        for size in sizes:
            out[topics.result(site, area, line, device_name(n, size))] = (n.path, size)
    return out


def live_values(
    path: str, r: WindowResult | None, t: WindowResult | None, f: Fresh, state: str | None = None
) -> LiveValues:
    """A node's live view: the rolling minute ``r`` and today's totals ``t``, as fresh as ``f``.

    A value the window leaves undefined (no energy, no units) stays None, never 0. ``state`` is
    a line's state now, for lines with a state point.
    """
    v = r.values if r is not None else {}
    d = t.values if t is not None else {}
    units = d.get("units")
    s1 = d.get("scope1_kg", 0.0)
    s2l, s2m = d.get("scope2_location_kg", 0.0), d.get("scope2_market_kg", 0.0)
    has_elec = v.get("electricity_kwh", 0.0) > 0
    return LiveValues(
        path=path,
        ts=f.ts,
        power_kw=v.get("power_kw", 0.0),
        intensity_location_kg_per_kwh=v.get("intensity_location_kg_per_kwh"),
        intensity_market_kg_per_kwh=v.get("intensity_market_kg_per_kwh"),
        intensity_kg_per_unit=v.get("intensity_kg_per_unit"),
        energy_per_unit_kwh=v.get("energy_per_unit_kwh"),
        renewable_share=v.get("renewable_share") if has_elec else None,
        energy_today_kwh=d.get("energy_kwh", 0.0),
        scope1_today_kg=s1,
        scope2_location_today_kg=s2l,
        scope2_market_today_kg=s2m,
        units_today=units if units else None,
        factor_versions=r.factor_versions if r is not None else (),
        coverage=v.get("coverage"),
        state=state,
        idle_today_kwh=d.get("idle_energy_kwh"),
        idle_share_today=d.get("idle_share"),
        age_s=f.age_s,
        stale=f.stale,
        stale_after_s=f.stale_after_s,
        emissions_location_kg_per_h=v.get("emissions_location_kg_per_h", 0.0),
        emissions_market_kg_per_h=v.get("emissions_market_kg_per_h", 0.0),
        emissions_today_location_kg=s1 + s2l,
        emissions_today_market_kg=s1 + s2m,
        intensity_location_kg_per_unit=v.get("intensity_location_kg_per_unit"),
        intensity_electricity_location_kg_per_kwh=v.get("intensity_electricity_location_kg_per_kwh"),
        intensity_electricity_market_kg_per_kwh=v.get("intensity_electricity_market_kg_per_kwh"),
        carriers_today={p: d[p] for p in CARRIER_TODAY if p in d},
        renewable_parts=_renewable_parts(v),
    )


CARRIER_TODAY = ("electricity_kwh", *CARRIER_POINTS.values())
_PARTS = {"onsite": "self_consumed_kwh", **{k: f"covered_{k}_kwh" for k in CONTRACT_KINDS}}


def _renewable_parts(v: dict[str, float]) -> dict[str, float]:
    """Shares of the site's electricity by green source (site results only carry the inputs)."""
    if "grid_import_kwh" not in v:
        return {}
    total = v["grid_import_kwh"] + v.get("self_consumed_kwh", 0.0)
    if total <= 0:
        return {}
    return {k: v.get(p, 0.0) / total for k, p in _PARTS.items()}
