"""Sections of the disclosure report from plain figures: node totals, energy, emissions, factors.

Each function returns a JSON-ready part of the report dict (see ``render/report.schema.json``);
``report.py`` feeds them from the ledger, totals, matching, indicators, offsets and quality.
Emissions are in kgCO2 (the engine's unit) with tonnes beside them in the summary rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from carbon_engine.factors import FactorLibrary
from carbon_engine.topology import NodeSpec
from carbon_engine.units import BASE_UNIT, CARRIER_POINTS

# Additive points a node's row shows, in this order (others the totals hold come after them).
NODE_POINTS = (
    "energy_kwh",
    "electricity_kwh",
    "scope1_kg",
    "scope2_location_kg",
    "upstream_kg",
    "units",
    "generation_kwh",
    "export_kwh",
    "grid_import_kwh",
    "self_consumed_kwh",
    "grid_residual_kg",
)
ELECTRICITY_POINTS = ("grid_import_kwh", "self_consumed_kwh", "generation_kwh", "export_kwh")


def clean(value: float | None) -> float | None:
    """A figure for the report: a finite float, or None (JSON has no NaN)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def nodes_section(
    nodes: Iterable[NodeSpec], totals: Mapping[str, Mapping[str, float]]
) -> list[dict[str, Any]]:
    """One row per node of the plant tree (site, areas, lines, meters) with its period totals."""
    rows = []
    for node in nodes:
        sums = totals.get(node.path, {})
        ordered = [p for p in NODE_POINTS if p in sums] + sorted(p for p in sums if p not in NODE_POINTS)
        rows.append(
            {
                "path": node.path,
                "level": node.level,
                "parent": node.parent,
                "label_en": node.label_en or node.name,
                "label_zh": node.label_zh or node.label_en or node.name,
                "totals": {p: clean(sums[p]) for p in ordered},
            }
        )
    return rows


def energy_section(
    site: Mapping[str, float], kgce: Mapping[str, float] | None, tce_sources: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Energy by carrier in native units and kgce (None where no coefficient is known)."""
    kgce = kgce or {}
    carriers: list[dict[str, Any]] = [
        _carrier("electricity", site.get("electricity_kwh", 0.0), "kWh", kgce, tce_sources)
    ]
    for carrier, point in CARRIER_POINTS.items():
        if point in site:
            carriers.append(_carrier(carrier, site[point], BASE_UNIT[carrier], kgce, tce_sources))
    known = [c["kgce"] for c in carriers if c["kgce"] is not None]
    total_kgce = sum(known) if known and len(known) == len(carriers) else None
    return {
        "carriers": carriers,
        "total_kwh": clean(site.get("energy_kwh", 0.0)),
        "total_kgce": clean(total_kgce),
        "total_tce": clean(total_kgce / 1000.0) if total_kgce is not None else None,
        "electricity": {
            "consumption_kwh": clean(site.get("electricity_kwh", 0.0)),
            **{p: clean(site.get(p, 0.0)) for p in ELECTRICITY_POINTS},
        },
    }


def _carrier(
    carrier: str, qty: float, unit: str, kgce: Mapping[str, float], sources: Mapping[str, str] | None
) -> dict[str, Any]:
    value = kgce.get(carrier)
    return {
        "carrier": carrier,
        "quantity": clean(qty),
        "unit": unit,
        "kgce": clean(value),
        "coefficient": (sources or {}).get(carrier),
    }


def emissions_section(
    site: Mapping[str, float],
    scope2_market_kg: float | None,
    scope2_market_estimate_kg: float,
    scope2_heat_kg: float | None = None,
) -> dict[str, Any]:
    """Scope 1, Scope 2 both ways; market-based matched within the period and the window estimate.

    ``scope2_heat_kg``: purchased heat and steam, the same in both methods (part of each)."""
    s1 = site.get("scope1_kg", 0.0)
    s2l = site.get("scope2_location_kg", 0.0)
    rows = [
        _row("scope1", "1", None, s1, "period"),
        _row("scope2_location", "2", "location", s2l, "period"),
        _row("scope2_market", "2", "market", scope2_market_kg, "period-matched"),
        _row("scope2_market_estimate", "2", "market", scope2_market_estimate_kg, "estimate"),
    ]
    return {
        "rows": rows,
        "gross_location_kg": clean(s1 + s2l),
        "gross_market_kg": clean(s1 + scope2_market_kg) if scope2_market_kg is not None else None,
        "grid_residual_kg": clean(site["grid_residual_kg"]) if "grid_residual_kg" in site else None,
        "upstream_kg": clean(site.get("upstream_kg", 0.0)),
        "scope2_heat_kg": clean(scope2_heat_kg),
    }


def _row(rid: str, scope: str, method: str | None, kg: float | None, basis: str) -> dict[str, Any]:
    v = clean(kg)
    return {
        "id": rid,
        "scope": scope,
        "method": method,
        "basis": basis,
        "kg": v,
        "t": None if v is None else v / 1000.0,
    }


def factors_section(library: FactorLibrary, tags: Iterable[str]) -> list[dict[str, Any]]:
    """The factor versions the period's results used, with value, unit and source."""
    by_tag = {e.tag: e for e in library.entries}
    out = []
    for tag in sorted(set(tags)):
        e = by_tag.get(tag)
        if e is None:  # a stored result names a version this library no longer holds: say so
            fid, _, version = tag.partition("@")
            out.append({"tag": tag, "id": fid, "version": version, "known": False})
            continue
        out.append(
            {
                "tag": tag,
                "id": e.id,
                "version": e.version,
                "known": True,
                "carrier": e.carrier,
                "kind": e.kind,
                "value": clean(e.computed) if e.hourly is None else None,
                "unit": e.unit,
                "source": e.source,
                "publication": e.publication,
                "valid_from": e.valid_from.isoformat(),
                "valid_to": e.valid_to.isoformat() if e.valid_to else None,
            }
        )
    return out
