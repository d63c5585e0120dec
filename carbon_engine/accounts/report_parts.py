"""The report's frame: header, the live-versus-recomputed comparison, what is missing, assembly.

``assemble`` puts the sections in the report's order and seals it with its digest
(``render/canonical.py``); ``report.py`` computes the sections.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import iiot_core
from carbon_engine.accounts.config import AccountsCfg
from carbon_engine.accounts.ledger import Difference
from carbon_engine.accounts.render.canonical import seal
from carbon_engine.accounts.report_sections import clean
from carbon_engine.config import PlantCfg

SCHEMA_ID = "zcf-report/1"
# Live and recomputed figures agree when they differ by no more than this (kg, kWh, units)
# plus this share of the figure: float sums taken in another order differ in the last bits.
ABS_TOLERANCE = 1e-6
REL_TOLERANCE = 1e-9
METHODOLOGY = {
    "accounting": "GHG Protocol Corporate Standard; GB/T 32150-2015 (industrial enterprises)",
    "scope2": "GHG Protocol Scope 2 Guidance: location-based at the regional grid average; "
    "market-based with certificates, green-power trades and PPAs matched within the period, "
    "self-consumed on-site renewables at zero, the residual mix for the rest",
    "energy": "GB/T 2589 comprehensive energy consumption, electricity at its equivalent value",
    "periods": "site-local calendar; period figures are sums of the hourly ledger",
    "recompute": "raw telemetry read from the store and replayed through the engine's own code in event time",
}


@dataclass(frozen=True)
class PeriodInfo:
    """What the header says of the period (``Period`` of ``periods.py`` plus the as-of time)."""

    key: str
    kind: str
    start_ms: int
    end_ms: int
    as_of_ms: int


@dataclass
class ReportParts:
    header: dict[str, Any]
    energy: dict[str, Any]
    emissions: dict[str, Any]
    instruments: dict[str, Any] | None
    indicators: list[dict[str, Any]]
    offsets: dict[str, Any] | None
    footprints: list[dict[str, Any]]
    data_quality: dict[str, Any]
    nodes: list[dict[str, Any]]
    recompute: dict[str, Any] | None
    missing: list[dict[str, str]] = field(default_factory=list)


def iso(ms: int, tz: str) -> str:
    """A time as ISO 8601 in the site's time zone, to the second."""
    t = dt.datetime.fromtimestamp(ms / 1000, zoneinfo.ZoneInfo(tz))
    return t.isoformat(timespec="seconds")


def header(
    plant: PlantCfg,
    plant_path: Path,
    period: PeriodInfo,
    generated_ms: int,
    factors: list[dict[str, Any]],
    source: str,
    type_ii: bool,
) -> dict[str, Any]:
    """The ``report`` section: what, whose, when, boundary, method and factor versions."""
    tz = plant.site.timezone
    return {
        "id": f"{plant.site.id}-{period.key}",
        "site": {
            "id": plant.site.id,
            "label_en": plant.site.label_en or plant.site.id,
            "label_zh": plant.site.label_zh or plant.site.label_en or plant.site.id,
            "timezone": tz,
            "grid_region": plant.site.grid_region,
        },
        "period": {
            "key": period.key,
            "kind": period.kind,
            "start_ms": period.start_ms,
            "end_ms": period.end_ms,
            "start": iso(period.start_ms, tz),
            "end": iso(period.end_ms, tz),
            "to_date": period.as_of_ms < period.end_ms,
        },
        "as_of_ms": period.as_of_ms,
        "as_of": iso(period.as_of_ms, tz),
        "generated_at_ms": generated_ms,
        "generated_at": iso(generated_ms, tz),
        "boundary": _boundary(type_ii),
        "methodology": METHODOLOGY,
        "factors": factors,
        "plant_file": {
            "name": plant_path.name,
            "sha256": hashlib.sha256(plant_path.read_bytes()).hexdigest(),
        },
        "source": source,
        "software": f"zcf {iiot_core.__version__}",
    }


def _boundary(type_ii: bool) -> dict[str, Any]:
    included = ["scope1", "scope2"] + (["purchased_products"] if type_ii else [])
    return {
        "type": "II" if type_ii else "I",
        "standard": "T/CECA-G 0171-2022",
        "includes": included,
    }


def recompute_section(
    live: Mapping[str, Mapping[str, float]],
    recomputed: Mapping[str, Mapping[str, float]],
    hours: Difference,
    counts: tuple[int, int, int],
    site: str,
) -> dict[str, Any]:
    """Live totals (stored results read back) against totals recomputed from raw telemetry,
    over the hours closed by the as-of time; ``hours``: the hour-by-hour comparison of the two
    ledgers; ``counts``: live hours, recomputed hours, and running ones (not yet published)."""
    worst: tuple[float, str, str] = (0.0, "", "")
    within = True
    for node in sorted(set(live) | set(recomputed)):
        a, b = live.get(node, {}), recomputed.get(node, {})
        for point in sorted(set(a) | set(b)):
            x, y = a.get(point, 0.0), b.get(point, 0.0)
            diff = abs(x - y)
            within = within and diff <= ABS_TOLERANCE + REL_TOLERANCE * max(abs(x), abs(y))
            if diff > worst[0] or not worst[1]:
                worst = (diff, node, point)
    site_live, site_re = live.get(site, {}), recomputed.get(site, {})
    rows = [
        {
            "point": p,
            "live": clean(site_live.get(p)),
            "recomputed": clean(site_re.get(p)),
            "diff": clean(abs(site_live.get(p, 0.0) - site_re.get(p, 0.0))),
        }
        for p in sorted(set(site_live) | set(site_re))
    ]
    same_hours = not hours.only_a and not hours.only_b
    return {
        "live_source": "the engine's stored 1h results (measurement carbon), latest revision",
        "recomputed_source": METHODOLOGY["recompute"],
        "compared": "hours closed by the as-of time; the running hour is in the figures, not yet published",
        "live_hours": counts[0],
        "recomputed_hours": counts[1],
        "running_hours": counts[2],
        "site": rows,
        "max_abs_diff": clean(worst[0]),
        "max_diff_at": {"node": worst[1], "point": worst[2]} if worst[1] else None,
        "hourly": {
            "values_compared": hours.compared,
            "max_rel_diff": clean(hours.max_rel),
            "max_rel_diff_at": hours.where or None,
            "only_live": hours.only_a,
            "only_recomputed": hours.only_b,
        },
        "tolerance": {"abs": ABS_TOLERANCE, "rel": REL_TOLERANCE},
        "equal": within and same_hours and hours.max_rel <= REL_TOLERANCE,
    }


def config_missing(plant: PlantCfg) -> list[dict[str, str]]:
    """What the plant file does not configure that some part of the report needs."""
    acc: AccountsCfg = plant.accounts
    out = []
    if acc.base_year is None:
        out.append(_missing("accounts.base_year", "reductions versus a base year, and the reduce-first rule"))
    if acc.target_set is None:
        out.append(_missing("accounts.target_set", "indicator targets and pass/fail"))
    if not acc.quotas:
        out.append(_missing("accounts.quotas", "energy per unit against an energy-consumption quota"))
    if acc.offsets.file is None:
        out.append(_missing("accounts.offsets.file", "the offsets ledger (no offsets are applied)"))
    if not acc.footprints:
        out.append(_missing("accounts.footprints", "product carbon footprints (Type II boundary)"))
    if not plant.contracts:
        out.append(_missing("contracts", "certificates and green-power contracts (none matched)"))
    return out


def _missing(key: str, needed_for: str) -> dict[str, str]:
    return {
        "key": key,
        "needed_for": needed_for,
        "message": f"not configured: {key} (needed for {needed_for})",
    }


def assemble(parts: ReportParts) -> dict[str, Any]:
    """The report dict in section order, sealed with its digest."""
    report = {
        "schema": SCHEMA_ID,
        "report": parts.header,
        "energy": parts.energy,
        "emissions": parts.emissions,
        "instruments": parts.instruments,
        "indicators": parts.indicators,
        "offsets": parts.offsets,
        "footprints": parts.footprints,
        "data_quality": parts.data_quality,
        "nodes": parts.nodes,
        "recompute": parts.recompute,
        "missing": parts.missing,
    }
    return seal(report)
