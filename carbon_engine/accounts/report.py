"""``build_report``: the disclosure report of one period, recomputed from the store.

The period's raw telemetry is replayed through the engine's code (``ledger_from_store``, the
source of every figure), the live engine's stored 1h results are read back beside it
(``ledger_from_results``) for the ``recompute`` section; totals, instrument matching, tce,
indicators, offsets, footprints and data quality are computed by their modules and put
together by ``report_parts.assemble``, which seals the report with its digest.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from carbon_engine.accounts import report_sections as sections
from carbon_engine.accounts.energy_tce import EnergyTce, energy_tce
from carbon_engine.accounts.footprint import Footprint, product_footprints
from carbon_engine.accounts.indicators import Indicator, indicators
from carbon_engine.accounts.instruments import Matching, match_ledger, matching_start
from carbon_engine.accounts.ledger import Ledger, compare, ledger_from_results, ledger_from_store
from carbon_engine.accounts.offsets import NetResult, apply_offsets, base_gross_t, ledger_for
from carbon_engine.accounts.periods import Period, current_period, parse_period
from carbon_engine.accounts.quality import PeriodQuality, QualityTracker
from carbon_engine.accounts.report_parts import (
    PeriodInfo,
    ReportParts,
    assemble,
    config_missing,
    header,
    recompute_section,
)
from carbon_engine.accounts.suppliers import load_suppliers
from carbon_engine.accounts.targets import resolve_target_set
from carbon_engine.accounts.totals import period_totals
from carbon_engine.config import PlantCfg, factor_file, load_plant
from carbon_engine.factors import FactorLibrary, load_library
from carbon_engine.topology import build
from iiot_core.store.base import StoreReader

YEAR_MS = 365.25 * 86_400_000


def resolve_period(key: str, tz: str, now_ms: int) -> Period:
    """``2026-11``, ``2026-Q4``, ``2026``, or ``month``/``quarter``/``year``: the running one."""
    if key == "month":
        return current_period("month", tz, now_ms)
    if key == "quarter":
        return current_period("quarter", tz, now_ms)
    if key == "year":
        return current_period("year", tz, now_ms)
    return parse_period(key, tz)


def _library(plant: PlantCfg, plant_path: Path) -> FactorLibrary:
    tz, region = plant.site.timezone, plant.site.grid_region
    return load_library(tz, factor_file(plant, plant_path), region, str(plant_path))


async def build_report(
    plant_path: Path,
    reader: StoreReader,
    period_key: str,
    *,
    as_of_ms: int | None = None,
    now_ms: int | None = None,
    source: str = "",
) -> dict[str, Any]:
    """The report dict (``render/report.schema.json``), sealed with its digest."""
    plant = load_plant(plant_path)
    library = _library(plant, plant_path)
    now = int(time.time() * 1000) if now_ms is None else now_ms
    period = resolve_period(period_key, plant.site.timezone, now)
    until = period.until(now if as_of_ms is None else as_of_ms)
    ledger, lead_in, quality = await _replay(plant, library, reader, period, until)
    live = await ledger_from_results(plant, library, reader, period, until)
    totals = period_totals(ledger)
    matching = match_ledger(plant, ledger, lead_in)
    site = totals.get(plant.site.id, {})
    tce = energy_tce(site, library, period.start_ms)
    net, entries = _offsets(plant, plant_path, period, until, site, matching)
    suppliers = load_suppliers(plant.accounts, plant_path)
    footprints = product_footprints(plant, totals, library, suppliers, period.start_ms)
    reductions = [f.reduction_share for f in footprints if f.reduction_share is not None]
    extra = {"footprint_reduction": reductions[0] if reductions else None}
    targets = resolve_target_set(plant, plant_path)
    inds = indicators(plant, totals, matching, library, period.start_ms, period.kind, targets, extra)
    tags = {t for r in ledger.hours for t in r.factor_versions}
    info = PeriodInfo(period.key, period.kind, period.start_ms, period.end_ms, until)
    factors = sections.factors_section(library, tags)
    parts = ReportParts(
        header=header(plant, plant_path, info, now, factors, source, bool(footprints)),
        energy=sections.energy_section(site, tce.by_carrier, {r.carrier: r.factor for r in tce.rows}),
        emissions=sections.emissions_section(
            site, matching.scope2_market_kg, matching.scope2_market_estimate_kg, matching.heat_kg
        ),
        instruments=_instruments(plant, matching),
        indicators=[_indicator(i) for i in inds],
        offsets={"entries": entries, "net": _net(net), "rule": plant.accounts.offsets.model_dump()},
        footprints=[_plain(asdict(f)) for f in footprints],
        data_quality=_quality(quality),
        nodes=sections.nodes_section(build(plant, library).nodes, totals),
        recompute=_recompute(live, ledger, until, plant.site.id),
        missing=config_missing(plant) + _said_missing(tce, matching, footprints),
    )
    return assemble(parts)


async def _replay(
    plant: PlantCfg, library: FactorLibrary, reader: StoreReader, period: Period, until: int
) -> tuple[Ledger, Ledger | None, PeriodQuality]:
    """One replay from where instrument matching must start (the earliest pool still valid at
    the period start) to the as-of time: the period's ledger, the lead-in ledger before it, and
    the period's data quality from the same pass."""
    first = matching_start(plant, period.start_ms)
    tracker = QualityTracker(plant, period, until)
    wide = replace(period, start_ms=first)
    replayed = await ledger_from_store(plant, library, reader, wide, until, on_page=tracker.observe)
    ledger = replace(replayed, period=period, hours=[r for r in replayed.hours if r.start >= period.start_ms])
    lead_in = None
    if first < period.start_ms:
        before = [r for r in replayed.hours if r.start < period.start_ms]
        lead_in = replace(
            replayed, period=replace(period, end_ms=period.start_ms, start_ms=first), hours=before
        )
    return ledger, lead_in, tracker.result(ledger)


def _hours(ledger: Ledger) -> int:
    return len({r.start for r in ledger.hours})


def _recompute(live: Ledger, replayed: Ledger, until: int, site: str) -> dict[str, Any]:
    """The live engine's stored hours against the replay's, over the hours closed by ``until``
    (the live engine publishes an hour once it has ended)."""
    closed_live = replace(live, hours=[r for r in live.hours if r.end <= until])
    closed = replace(replayed, hours=[r for r in replayed.hours if r.end <= until])
    counts = (_hours(closed_live), _hours(closed), _hours(replayed) - _hours(closed))
    totals_live, totals_re = period_totals(closed_live), period_totals(closed)
    return recompute_section(totals_live, totals_re, compare(closed_live, closed), counts, site)


def _offsets(
    plant: PlantCfg, plant_path: Path, period: Period, until: int, site: dict[str, float], m: Matching
) -> tuple[NetResult, list[dict[str, Any]]]:
    """The ledger's offsets retired against the period, and gross, reduction, offsets and net.

    Gross is Scope 1 + period-matched market-based Scope 2; the base year's gross is taken for
    the elapsed part of a year (a month to date: its days over 365.25)."""
    book = ledger_for(plant.accounts.offsets, plant_path)
    records = book.for_period(period.key) if book is not None else []
    entries = [{k: (str(v) if k == "retired_on" else v) for k, v in r.model_dump().items()} for r in records]
    gross_t = (site.get("scope1_kg", 0.0) + m.scope2_market_kg) / 1000.0
    share = (until - period.start_ms) / YEAR_MS
    base = base_gross_t(plant.accounts.base_year, share)
    return apply_offsets(gross_t, base, records, plant.accounts.offsets), entries


def _net(net: NetResult) -> dict[str, Any]:
    return _plain(asdict(net))


def _instruments(plant: PlantCfg, m: Matching) -> dict[str, Any]:
    kinds = {c.id: (c.kind, c.label) for c in plant.contracts}
    return {
        "covered_kwh": m.covered_kwh,
        "contracts": [
            {
                "id": cid,
                "kind": kinds.get(cid, (None, None))[0],
                "label": kinds.get(cid, (None, None))[1],
                "applied_kwh": kwh,
            }
            for cid, kwh in m.by_contract.items()
        ],
        "surplus": [{"id": cid, "kwh": kwh} for cid, kwh in m.surplus_kwh.items()],
        "pools": [_plain(asdict(p)) for p in m.pools],
        "renewable_share_annual": m.renewable_share_annual,
        "hourly_score": m.hourly_score,
        "hourly_matched_kwh": m.hourly_matched_kwh,
        "grid_kwh": m.grid_kwh,
    }


def _indicator(i: Indicator) -> dict[str, Any]:
    return _plain(asdict(i))


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    """A dataclass dict for JSON: non-finite floats as None, nested lists and dicts likewise."""

    def fix(v: Any) -> Any:
        if isinstance(v, float):
            return sections.clean(v)
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [fix(x) for x in v]
        return v

    out: dict[str, Any] = fix(d)
    return out


def _quality(q: PeriodQuality) -> dict[str, Any]:
    offline = {d.device: d.offline_s for d in q.devices}
    meters = [{**_plain(asdict(m)), "offline_s": offline.get(m.device)} for m in q.meters]
    return {
        "start_ms": q.start_ms,
        "end_ms": q.end_ms,
        "max_gap_s": q.max_gap_s,
        "meters": meters,
        "devices": [_plain(asdict(d)) for d in q.devices],
    }


def _said_missing(tce: EnergyTce, m: Matching, footprints: list[Footprint]) -> list[dict[str, str]]:
    """What the computing modules said they could not do, one entry each (an indicator says
    why it has no value or target in its own row)."""
    said = [*tce.missing, *m.missing]
    for f in footprints:
        said += [f"footprint {f.node}: {x}" for x in f.missing]
    return [{"key": s.split(":")[0], "message": s} for s in said]
