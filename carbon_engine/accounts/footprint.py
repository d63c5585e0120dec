"""Product carbon footprint, cradle to gate (first version), per product line and period.

kg CO2e per unit = sum over carriers (energy per unit x life-cycle footprint factor, library
kind ``footprint``, never a Scope 2 factor) + sum over purchased materials (kg per unit x the
supplier's kg CO2e per kg). Energy per unit is the line's period total over its units.

A supplier factor not valid at the period's date is used all the same (the latest earlier
one, else the earliest) and flagged in ``warnings``: a report shows it instead of failing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from carbon_engine.accounts.config import FootprintCfg, MaterialCfg
from carbon_engine.accounts.suppliers import MaterialFactor, Supplier
from carbon_engine.factors import FactorEntry, FactorLibrary
from carbon_engine.units import BASE_UNIT, CARRIER_POINTS

if TYPE_CHECKING:
    from carbon_engine.config import PlantCfg

Totals = Mapping[str, Mapping[str, float]]  # node path -> additive period sums
ENERGY_POINTS: dict[str, str] = {"electricity": "electricity_kwh", **CARRIER_POINTS}


@dataclass(frozen=True, slots=True)
class FootprintPart:
    """One term of a footprint: an energy carrier, or a material from a supplier."""

    kind: Literal["energy", "material"]
    item: str  # carrier or material
    supplier: str | None
    quantity_per_unit: float  # in ``unit`` per product unit
    unit: str  # kWh, Nm3, t, ... or kg
    factor: float  # kg CO2e per ``unit``
    factor_ref: str  # factor id@version, or "supplier file: source"
    kg_per_unit: float


@dataclass(frozen=True, slots=True)
class Footprint:
    """A product line's footprint per unit for a period, its parts and the change against its base."""

    node: str
    product: str
    units: float
    kg_per_unit: float | None  # None without production in the period
    energy_kg_per_unit: float | None
    materials_kg_per_unit: float
    parts: list[FootprintPart]
    base_kg_per_unit: float | None
    change_kg_per_unit: float | None  # value - base: negative is a reduction
    reduction_share: float | None  # (base - value) / base: the "reduction vs base year" indicator
    complete: bool  # every consumed carrier had a footprint factor
    missing: list[str]
    warnings: list[str]


def product_footprints(
    plant: PlantCfg, totals: Totals, library: FactorLibrary, suppliers: Mapping[str, Supplier], at_ms: int
) -> list[Footprint]:
    """Every ``[[accounts.footprints]]`` line's footprint; factors chosen at ``at_ms``."""
    day = dt.datetime.fromtimestamp(at_ms / 1000, library.tz).date()
    return [
        _footprint(cfg, _node_totals(totals, plant.site.id, cfg.node), library, suppliers, at_ms, day, plant)
        for cfg in plant.accounts.footprints
    ]


def _node_totals(totals: Totals, site: str, node: str) -> Mapping[str, float] | None:
    """The totals of ``node`` whether keyed relative to the site or by full path."""
    found = totals.get(node)
    return found if found is not None else totals.get(f"{site}/{node}" if node else site)


def _footprint(
    cfg: FootprintCfg,
    sums: Mapping[str, float] | None,
    library: FactorLibrary,
    suppliers: Mapping[str, Supplier],
    at_ms: int,
    day: dt.date,
    plant: PlantCfg,
) -> Footprint:
    missing: list[str] = []
    warnings: list[str] = []
    units = float(sums.get("units", 0.0)) if sums is not None else 0.0
    if sums is None:
        missing.append(f"{cfg.node}: not in the period's totals")
    elif units <= 0:
        missing.append(f"{cfg.node}: no production units in the period: no per-unit footprint")
    energy = (
        _energy_parts(sums or {}, units, library, plant.site.grid_region, at_ms, missing) if units > 0 else []
    )
    materials = [_material_part(m, suppliers[m.supplier], day, warnings) for m in cfg.materials]
    materials_kg = sum(p.kg_per_unit for p in materials)
    energy_kg = sum(p.kg_per_unit for p in energy) if units > 0 else None
    total = None if energy_kg is None else energy_kg + materials_kg
    base = cfg.base_kg_per_unit
    return Footprint(
        node=cfg.node,
        product=cfg.product,
        units=units,
        kg_per_unit=total,
        energy_kg_per_unit=energy_kg,
        materials_kg_per_unit=materials_kg,
        parts=[*energy, *materials],
        base_kg_per_unit=base,
        change_kg_per_unit=None if total is None or base is None else total - base,
        reduction_share=None if total is None or not base else (base - total) / base,
        complete=total is not None and not missing,
        missing=missing + ([] if base is not None else [f"{cfg.node}: base_kg_per_unit not configured"]),
        warnings=warnings,
    )


def _energy_parts(
    sums: Mapping[str, float],
    units: float,
    library: FactorLibrary,
    region: str,
    at_ms: int,
    missing: list[str],
) -> list[FootprintPart]:
    parts = []
    for carrier, point in ENERGY_POINTS.items():
        quantity = float(sums.get(point, 0.0))
        if quantity <= 0:
            continue
        entry = _footprint_factor(library, carrier, region, at_ms)
        unit = BASE_UNIT[carrier]
        if entry is None:
            missing.append(f"{carrier}: no footprint factor (kind footprint) in the factor library")
            continue
        if entry.unit.split("/")[-1] != unit:
            missing.append(f"{carrier}: footprint factor {entry.tag} is in {entry.unit}, not per {unit}")
            continue
        per_unit = quantity / units
        factor = library.value(entry, at_ms)
        parts.append(
            FootprintPart("energy", carrier, None, per_unit, unit, factor, entry.tag, per_unit * factor)
        )
    return parts


def _footprint_factor(library: FactorLibrary, carrier: str, region: str, at_ms: int) -> FactorEntry | None:
    """The carrier's footprint factor: the site's grid region, else national, else default."""
    for variant in (region, "national", "default"):
        slot = (carrier, "footprint", variant)
        if library.has(slot):
            return library.select(slot, at_ms)
    return None


def _material_part(m: MaterialCfg, supplier: Supplier, day: dt.date, warnings: list[str]) -> FootprintPart:
    entry = _material_factor(supplier, m.material, day, warnings)
    ref = f"{supplier.path.name}: {entry.source}"
    kg = m.kg_per_unit * entry.kg_co2e_per_kg
    return FootprintPart(
        "material", m.material, supplier.id, m.kg_per_unit, "kg", entry.kg_co2e_per_kg, ref, kg
    )


def _material_factor(supplier: Supplier, material: str, day: dt.date, warnings: list[str]) -> MaterialFactor:
    entries = supplier.entries(material)  # load_suppliers checked that there is one
    for e in entries:
        if e.valid_on(day):
            return e
    earlier = [e for e in entries if e.valid_from <= day]
    chosen = earlier[-1] if earlier else entries[0]
    state = f"expired {chosen.valid_to}" if earlier else f"valid only from {chosen.valid_from}"
    warnings.append(
        f"{supplier.path}: {material!r}: no factor valid on {day}; used the one {state} "
        f"({chosen.kg_co2e_per_kg:g} kgCO2e/kg): ask the supplier for a current value"
    )
    return chosen
