"""Units of measured carriers and the names of the engine's output points.

Values are converted on ingest to one base unit per carrier (``BASE_UNIT``); a counter point
reports a quantity, a power point a rate per hour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carbon_engine.config import PlantCfg

KWH_PER_GJ = 1000.0 / 3.6
HYDROGEN_KWH_PER_KG = 33.33  # lower heating value, 120 MJ/kg

BASE_UNIT: dict[str, str] = {
    "electricity": "kWh",
    "natural_gas": "Nm3",
    "diesel": "t",
    "lpg": "t",
    "coal": "t",
    "steam": "t",
    "heat": "GJ",
    "hydrogen": "kg",
    "product": "units",
}

_MASS = {"t": 1.0, "kg": 0.001}
COUNTER_UNITS: dict[str, dict[str, float]] = {
    "electricity": {"kWh": 1.0, "Wh": 0.001, "MWh": 1000.0},
    "natural_gas": {"Nm3": 1.0, "m3": 1.0},
    "diesel": _MASS,
    "lpg": _MASS,
    "coal": _MASS,
    "steam": _MASS,
    "heat": {"GJ": 1.0, "MJ": 0.001, "kWh": 0.0036},
    "hydrogen": {"kg": 1.0, "t": 1000.0},
    "product": {"units": 1.0, "": 1.0, "pcs": 1.0},
}
_MASS_RATE = {"t/h": 1.0, "kg/h": 0.001}
POWER_UNITS: dict[str, dict[str, float]] = {
    "electricity": {"kW": 1.0, "W": 0.001, "MW": 1000.0},
    "natural_gas": {"Nm3/h": 1.0, "m3/h": 1.0},
    "diesel": _MASS_RATE,
    "lpg": _MASS_RATE,
    "coal": _MASS_RATE,
    "steam": _MASS_RATE,
    "heat": {"GJ/h": 1.0, "MW": 3.6, "kW": 0.0036},
    "hydrogen": {"kg/h": 1.0},
    "product": {},
}


def unit_scale(carrier: str, method: str, unit: str | None) -> float | None:
    """Multiplier from ``unit`` to the carrier's base unit (per hour for power); None if unknown."""
    table = COUNTER_UNITS if method == "counter" else POWER_UNITS
    units = table.get(carrier, {})
    if unit is None:
        return 1.0 if units else None
    return units.get(unit)


def default_unit(carrier: str, method: str) -> str:
    """The unit a meter without ``unit`` is read in: the carrier's base unit (per hour for power)."""
    base = BASE_UNIT.get(carrier, "")
    if method == "counter":
        return base
    return "kW" if carrier == "electricity" else f"{base}/h"


def allowed_units(carrier: str, method: str) -> list[str]:
    table = COUNTER_UNITS if method == "counter" else POWER_UNITS
    return sorted(table.get(carrier, {}))


# Output points of every result (node, window) and their units.
OUTPUT_UNITS: dict[str, str] = {
    "energy_kwh": "kWh",
    "electricity_kwh": "kWh",
    "power_kw": "kW",
    "emissions_location_kg_per_h": "kgCO2/h",  # Scope 1 + Scope 2 per hour over the window
    "emissions_market_kg_per_h": "kgCO2/h",
    "scope1_kg": "kgCO2",
    "scope2_location_kg": "kgCO2",
    "scope2_market_kg": "kgCO2",
    "upstream_kg": "kgCO2e",
    "intensity_location_kg_per_kwh": "kgCO2/kWh",
    "intensity_market_kg_per_kwh": "kgCO2/kWh",
    # Scope 2 of electricity per kWh of electricity (the other two cover every carrier's kWh)
    "intensity_electricity_location_kg_per_kwh": "kgCO2/kWh",
    "intensity_electricity_market_kg_per_kwh": "kgCO2/kWh",
    "intensity_kg_per_unit": "kgCO2/unit",
    "intensity_location_kg_per_unit": "kgCO2/unit",
    "energy_per_unit_kwh": "kWh/unit",
    "renewable_share": "",
    "units": "units",
    "generation_kwh": "kWh",
    "export_kwh": "kWh",
    "estimated_share": "",
    "coverage": "",  # share of the window backed by good samples (lowest of the node's meters)
    "gaps": "",  # gaps (intervals longer than max_gap_s) ending in the window
    # lines with a state point (carbon_engine/line_states.py)
    "idle_energy_kwh": "kWh",
    "idle_share": "",
    "idle_kg": "kgCO2",
    "idle_location_kg": "kgCO2",
    # site level only
    "grid_import_kwh": "kWh",
    "self_consumed_kwh": "kWh",
    "covered_kwh": "kWh",
    # grid import x residual-mix factor before any instrument: period market-based Scope 2
    # re-matches instruments over a period's grid import (carbon_engine/accounts/)
    "grid_residual_kg": "kgCO2",
    "covered_gec_kwh": "kWh",  # covered_kwh by instrument
    "covered_ppa_kwh": "kWh",
    "covered_green_power_trading_kwh": "kWh",
}

CARRIER_POINTS: dict[str, str] = {
    c: f"{c}_{BASE_UNIT[c].lower()}" for c in BASE_UNIT if c not in ("electricity", "product")
}

ALL_POINTS: frozenset[str] = frozenset(OUTPUT_UNITS) | frozenset(CARRIER_POINTS.values())
POINT_UNITS: dict[str, str] = {**OUTPUT_UNITS, **{p: BASE_UNIT[c] for c, p in CARRIER_POINTS.items()}}


def state_point(state: str, what: str) -> str:
    """The output point of one line state: ``state_{name}_kwh`` or ``state_{name}_kg``."""
    return f"state_{state}_{what}"


def state_points(cfg: PlantCfg) -> frozenset[str]:
    """Every per-state output point the plant's lines have (``unknown`` included)."""
    names = {n for a in cfg.areas for ln in a.lines if ln.state for n in ln.state.states}
    if not names:
        return frozenset()
    return frozenset(state_point(n, w) for n in names | {"unknown"} for w in ("kwh", "kg"))


def unit_of(point: str) -> str:
    """The unit of an output point, per-state points included."""
    if point in POINT_UNITS:
        return POINT_UNITS[point]
    if point.startswith("state_"):
        return "kWh" if point.endswith("_kwh") else "kgCO2" if point.endswith("_kg") else ""
    return ""


# A result message names each factor version it used as a point ``factor:{id}@{version}`` = 1:
# the store keeps float fields only, so the version travels in the field name.
FACTOR_POINT_PREFIX = "factor:"


def factor_point(tag: str) -> str:
    """The result point that records the use of factor ``tag`` (``id@version``)."""
    return f"{FACTOR_POINT_PREFIX}{tag}"
