"""The hourly figures period matching needs, read from 1h window results.

A site hour carries its grid import G_h, self-consumed on-site generation S_h, grid import at
the residual mix before instruments (``grid_residual_kg``) and the live window's own cover.
Purchased heat is not a point of its own: it is what the live market-based figure holds beyond
its electricity part, ``scope2_market_kg - electricity_kwh x m_h`` with the hour's live
electricity rate m_h = grid_residual_kg x (G_h - covered_h) / G_h / (G_h + S_h).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carbon_engine.results import WindowResult


@dataclass(frozen=True, slots=True)
class SiteHour:
    start: int
    grid_kwh: float
    self_kwh: float
    residual_kg: float
    live_covered_kwh: float

    @property
    def e_kwh(self) -> float:
        """The site's electricity in the hour: grid import + self-consumed."""
        return self.grid_kwh + self.self_kwh

    @property
    def live_rate(self) -> float:
        """kgCO2 per kWh of site electricity in the live window figure (instruments spread evenly)."""
        g, e = self.grid_kwh, self.e_kwh
        if g <= 0 or e <= 0:
            return 0.0
        return self.residual_kg * (g - min(g, self.live_covered_kwh)) / g / e


def latest(results: Iterable[WindowResult]) -> list[WindowResult]:
    """1h results, one per (node, hour): the highest revision; in time order."""
    best: dict[tuple[str, int], WindowResult] = {}
    for r in results:
        if r.size != "1h":
            continue
        k = (r.node, r.start)
        if k not in best or best[k].revision < r.revision:
            best[k] = r
    return sorted(best.values(), key=lambda r: (r.start, r.node))


def site_hours(results: Iterable[WindowResult], site: str) -> list[SiteHour]:
    """The site row of every hour, in time order."""
    out = []
    for r in latest(results):
        if r.node != site:
            continue
        v = r.values
        out.append(
            SiteHour(
                start=r.start,
                grid_kwh=v.get("grid_import_kwh", 0.0),
                self_kwh=v.get("self_consumed_kwh", 0.0),
                residual_kg=_residual(r),
                live_covered_kwh=v.get("covered_kwh", 0.0),
            )
        )
    return out


def _residual(r: WindowResult) -> float:
    if "grid_residual_kg" not in r.values:
        raise ValueError(
            f"1h result of {r.node} at {r.start} has no grid_residual_kg: results from an engine "
            "before that point cannot be matched by period"
        )
    return r.values["grid_residual_kg"]


def node_sums(
    results: Sequence[WindowResult], hours: Sequence[SiteHour]
) -> dict[str, tuple[float, float, float]]:
    """Per node over the given hours: (electricity kWh, purchased heat kg, live market-based kg)."""
    rate = {h.start: h.live_rate for h in hours}
    out: dict[str, tuple[float, float, float]] = {}
    for r in latest(results):
        if r.start not in rate:
            continue
        el = r.values.get("electricity_kwh", 0.0)
        mk = r.values.get("scope2_market_kg", 0.0)
        heat = mk - el * rate[r.start]
        heat = heat if heat > 1e-9 * abs(mk) else 0.0  # rounding, not heat
        e0, h0, m0 = out.get(r.node, (0.0, 0.0, 0.0))
        out[r.node] = (e0 + el, h0 + heat, m0 + mk)
    return out
