"""Green-power instruments matched within reporting periods, and the hourly-matching score.

The rule (GHG Protocol Scope 2: instruments are matched to consumption within the reporting
period, each MWh once). Every contract period - GECs retired, a green-power trade, a PPA's
volume - is a pool of kWh valid over its dates. Hours are taken in time order; the site's grid
import of an hour is covered by the pools valid in that hour, the pool whose validity ends first
first (then in the order of the plant file), until the hour is covered or the pools are empty.
A reporting period's covered kWh is the sum over its hours: months add up to the year and no
kWh is used twice, across periods or lines. What a pool has not used when its validity ends is
surplus, reported in the period where the validity ends; nothing is carried over.

Period market-based Scope 2 = grid_residual_kg x (G - covered) / G + purchased heat, with G the
period's grid import; nodes get the electricity part by their share of the site's electricity
(grid import + self-consumed). The live per-window ``scope2_market_kg`` spreads each pool evenly
over its validity and matches window by window: an estimate, summed here for comparison only.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from carbon_engine.accounting import validity_ms
from carbon_engine.accounts.hours import SiteHour, node_sums, site_hours
from carbon_engine.config import PlantCfg
from carbon_engine.results import WindowResult

H_MS = 3_600_000
EMPTY_KWH = 1e-6  # what a pool has left below a mWh is rounding of the hourly sums, not volume


@dataclass(frozen=True, slots=True)
class Pool:
    """One contract period: ``kwh`` valid over [start_ms, end_ms)."""

    contract: str
    kind: str
    serial: str
    valid_from: dt.date
    valid_to: dt.date  # inclusive
    start_ms: int
    end_ms: int
    kwh: float
    profile: tuple[float, ...] | None  # hourly delivery weights by site-local hour


@dataclass(frozen=True, slots=True)
class PoolUse:
    """What one pool did for a reporting period (kWh)."""

    contract: str
    kind: str
    serial: str
    valid_from: str
    valid_to: str
    volume_kwh: float
    used_before_kwh: float  # in earlier periods
    used_kwh: float  # in this period
    surplus_kwh: float  # validity ended in this period with this much unused
    remaining_kwh: float  # still valid after this period (or its as-of time)


@dataclass(frozen=True)
class Matching:
    """Instruments applied to one reporting period; market-based Scope 2 of the period."""

    start_ms: int
    end_ms: int
    grid_kwh: float
    self_consumed_kwh: float
    electricity_kwh: float  # site: grid import + self-consumed
    grid_residual_kg: float
    heat_kg: float  # purchased heat and steam, the same in both methods
    covered_kwh: float
    by_contract: dict[str, float]
    surplus_kwh: dict[str, float]
    pools: list[PoolUse]
    scope2_market_kg: float
    scope2_market_estimate_kg: float  # sum of the live window figures: an estimate
    renewable_share_annual: float | None  # (self-consumed + covered) / electricity
    hourly_score: float | None  # sum_h min(E_h, S_h + D_h) / sum_h E_h
    hourly_matched_kwh: float
    by_node: dict[str, float]  # period market-based Scope 2 per node path
    missing: list[str]


def pools(plant: PlantCfg) -> list[Pool]:
    """Every contract period of the plant file, in file order."""
    zone = zoneinfo.ZoneInfo(plant.site.timezone)
    out = []
    for c in plant.contracts:
        prof = tuple(c.hourly_profile) if c.hourly_profile is not None else None
        for p in c.periods:
            start, end = validity_ms(p, zone)
            out.append(Pool(c.id, c.kind, p.serial, p.start, p.end, start, end, p.mwh * 1000.0, prof))
    return out


def matching_start(plant: PlantCfg, start_ms: int) -> int:
    """Where the hours must start for exact matching from ``start_ms``: the earliest start of the
    chain of pools still valid then (their use before the period decides what is left)."""
    ps, need = pools(plant), start_ms
    while True:
        earlier = [p.start_ms for p in ps if p.start_ms < need < p.end_ms]
        if not earlier:
            return need
        need = min(earlier)


def allocate(ps: Sequence[Pool], hours: Sequence[SiteHour]) -> np.ndarray:
    """kWh of each pool applied to each hour (hours x pools), hours in time order."""
    out = np.zeros((len(hours), len(ps)))
    left = [p.kwh for p in ps]
    order = sorted(range(len(ps)), key=lambda i: (ps[i].end_ms, i))
    for h, hour in enumerate(hours):
        need = hour.grid_kwh
        for i in order:
            if need <= 0:
                break
            p = ps[i]
            if left[i] > EMPTY_KWH and p.start_ms <= hour.start < p.end_ms:
                take = min(need, left[i])
                out[h, i], left[i], need = take, left[i] - take, need - take
    return out


def delivery(p: Pool, tz: zoneinfo.ZoneInfo) -> dict[int, float]:
    """A profiled pool's kWh per hour start over its validity (volume spread by the weights)."""
    if p.profile is None:
        return {}
    starts = range(p.start_ms, p.end_ms, H_MS)
    w = [p.profile[dt.datetime.fromtimestamp(s / 1000, tz).hour] for s in starts]
    total = sum(w)
    return {s: p.kwh * x / total for s, x in zip(starts, w, strict=True) if x > 0} if total > 0 else {}


def hourly_score(hours: Sequence[SiteHour], ps: Sequence[Pool], tz: str) -> tuple[float | None, float]:
    """(score, matched kWh): consumption matched hour by hour by self-consumed on-site
    generation and profiled contracts. Unprofiled PPAs and unbundled GECs count nothing."""
    zone = zoneinfo.ZoneInfo(tz)
    d: dict[int, float] = {}
    for p in ps:
        for s, kwh in delivery(p, zone).items():
            d[s] = d.get(s, 0.0) + kwh
    matched = sum(min(h.e_kwh, h.self_kwh + d.get(h.start, 0.0)) for h in hours)
    total = sum(h.e_kwh for h in hours)
    return (matched / total if total > 0 else None), matched


def match_period(
    plant: PlantCfg,
    hours: Sequence[WindowResult],
    start_ms: int,
    end_ms: int,
    as_of_ms: int | None = None,
    hours_from_ms: int | None = None,
) -> Matching:
    """Match the plant's instruments to [start_ms, end_ms) from 1h results of every node.

    ``hours`` must reach back to ``matching_start(plant, start_ms)`` (``hours_from_ms`` says
    where they start; default ``start_ms``), else what earlier periods used is unknown and
    ``missing`` says so."""
    site = plant.site.id
    ps = pools(plant)
    allh = [h for h in site_hours(hours, site) if h.start < end_ms]
    alloc = allocate(ps, allh)
    inside = np.array([h.start >= start_ms for h in allh], dtype=bool)
    inh = [h for h in allh if h.start >= start_ms]
    used_in = alloc[inside].sum(axis=0) if len(allh) else np.zeros(len(ps))
    used_before = alloc[~inside].sum(axis=0) if len(allh) else np.zeros(len(ps))
    until = end_ms if as_of_ms is None else min(end_ms, as_of_ms)
    uses = [_use(p, float(used_before[i]), float(used_in[i]), until) for i, p in enumerate(ps)]
    uses = [u for u, p in zip(uses, ps, strict=True) if p.start_ms < end_ms and p.end_ms > start_ms]
    g = sum(h.grid_kwh for h in inh)
    s = sum(h.self_kwh for h in inh)
    e = g + s
    residual = sum(h.residual_kg for h in inh)
    covered = min(g, float(used_in.sum()))
    covered = g if g - covered <= 1e-12 * g else covered  # summation order, not uncovered kWh
    elec_market = residual * (g - covered) / g if g > 0 else 0.0
    nodes = node_sums([r for r in hours if r.size == "1h" and start_ms <= r.start < end_ms], inh)
    heat = nodes.get(site, (0.0, 0.0, 0.0))[1]
    score, matched = hourly_score(inh, ps, plant.site.timezone)
    return Matching(
        start_ms=start_ms,
        end_ms=end_ms,
        grid_kwh=g,
        self_consumed_kwh=s,
        electricity_kwh=e,
        grid_residual_kg=residual,
        heat_kg=heat,
        covered_kwh=covered,
        by_contract=_by_contract(uses, "used_kwh"),
        surplus_kwh={k: v for k, v in _by_contract(uses, "surplus_kwh").items() if v > 0},
        pools=uses,
        scope2_market_kg=elec_market + heat,
        scope2_market_estimate_kg=nodes.get(site, (0.0, 0.0, 0.0))[2],
        renewable_share_annual=(s + covered) / e if e > 0 else None,
        hourly_score=score,
        hourly_matched_kwh=matched,
        by_node={n: (elec_market * el / e if e > 0 else 0.0) + ht for n, (el, ht, _) in nodes.items()},
        missing=_missing(plant, start_ms, start_ms if hours_from_ms is None else hours_from_ms),
    )


class PeriodLike(Protocol):
    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...


class LedgerLike(Protocol):
    """What matching needs of an hourly ledger (``ledger.Ledger``)."""

    @property
    def period(self) -> PeriodLike: ...
    @property
    def as_of_ms(self) -> int: ...
    @property
    def hours(self) -> Sequence[WindowResult]: ...


def match_ledger(plant: PlantCfg, ledger: LedgerLike, lead_in: LedgerLike | None = None) -> Matching:
    """``match_period`` of a ledger; ``lead_in``: the ledger of [matching_start, period start)."""
    hours = list(ledger.hours) if lead_in is None else [*lead_in.hours, *ledger.hours]
    p = ledger.period
    start = p.start_ms if lead_in is None else lead_in.period.start_ms
    return match_period(plant, hours, p.start_ms, p.end_ms, ledger.as_of_ms, hours_from_ms=start)


def _use(p: Pool, before: float, used: float, until: int) -> PoolUse:
    left = p.kwh - before - used
    left = left if left > EMPTY_KWH else 0.0
    ended = p.end_ms <= until
    return PoolUse(
        contract=p.contract,
        kind=p.kind,
        serial=p.serial,
        valid_from=p.valid_from.isoformat(),
        valid_to=p.valid_to.isoformat(),
        volume_kwh=p.kwh,
        used_before_kwh=before,
        used_kwh=used,
        surplus_kwh=left if ended else 0.0,
        remaining_kwh=0.0 if ended else left,
    )


def _by_contract(uses: list[PoolUse], field: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for u in uses:
        out[u.contract] = out.get(u.contract, 0.0) + float(getattr(u, field))
    return out


def _missing(plant: PlantCfg, start_ms: int, hours_from_ms: int) -> list[str]:
    need = matching_start(plant, start_ms)
    if hours_from_ms <= need:
        return []
    when = dt.datetime.fromtimestamp(need / 1000, zoneinfo.ZoneInfo(plant.site.timezone))
    return [
        f"instruments: hours from {when.isoformat()} are needed to know what earlier periods used "
        "of contracts still valid; covered kWh may be overstated"
    ]
