"""The indicators a zero-carbon factory is judged on, each against its target (README, "Indicators").

Emissions here are the Type I boundary: Scope 1 + Scope 2 market-based, matched within the
period (``instruments.py``). Energy is comprehensive energy consumption in tce (``energy_tce.py``).
Every indicator carries its value, target and pass/fail, or says what is missing instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from carbon_engine.accounts.config import QuotaCfg, TargetSetCfg
from carbon_engine.accounts.energy_tce import EnergyTce, energy_tce
from carbon_engine.accounts.instruments import Matching
from carbon_engine.config import PlantCfg
from carbon_engine.factors import FactorLibrary
from carbon_engine.node_paths import relative_node

PeriodKind = Literal["month", "quarter", "year"]
Value = tuple[float | None, str | None]  # the value, or why there is none


@dataclass(frozen=True)
class Indicator:
    id: str
    label_en: str
    label_zh: str
    value: float | None
    unit: str
    formula: str
    target: float | None
    comparison: Literal["max", "min"] | None
    passed: bool | None
    missing: str | None  # why the value or the target is unavailable
    level: str | None = None  # quotas: "advanced", "access", "limit", "above_limit" or "none_met"


# id -> (label_en, label_zh, unit, formula); shares are fractions (0.35 = 35 %)
SPECS: dict[str, tuple[str, str, str, str]] = {
    "renewable_share_electricity": (
        "Renewable share of electricity (period matching)",
        "可再生能源电力占比 (期内匹配)",
        "",
        "(self-consumed on-site kWh + covered kWh) / site electricity kWh",
    ),
    "renewable_share_hourly": (
        "Hourly-matched share of electricity (24/7)",
        "逐时匹配率 (24/7)",
        "",
        "sum_h min(E_h, self-consumed_h + profiled contract delivery_h) / sum_h E_h",
    ),
    "renewable_share_energy": (
        "Renewable share of total energy",
        "可再生能源使用比例 (占综合能耗)",
        "",
        "(self-consumed + covered kWh) x electricity kgce/kWh / comprehensive energy kgce",
    ),
    "carbon_per_energy": (
        "Carbon per unit of energy",
        "单位能耗碳排放",
        "tCO2/tce",
        "(Scope 1 + Scope 2 market-based) tCO2 / comprehensive energy tce",
    ),
    "carbon_per_unit": (
        "Carbon per unit of product",
        "单位产品碳排放",
        "kgCO2/unit",
        "(Scope 1 + Scope 2 market-based) kgCO2 / units produced",
    ),
    "energy_per_unit": (
        "Energy per unit of product",
        "单位产品综合能耗",
        "kgce/unit",
        "comprehensive energy kgce / units produced",
    ),
    "reduction_t": (
        "Reduction versus the base year",
        "较基准年减排量",
        "tCO2",
        "base-year (Scope 1 + Scope 2 market-based) t - this year's t (full years only)",
    ),
    "reduction_share": (
        "Reduction versus the base year, share",
        "较基准年减排比例",
        "",
        "reduction_t / base-year (Scope 1 + Scope 2 market-based) t",
    ),
    "reduction_per_unit": (
        "Reduction per unit of product versus the base year",
        "单位产品较基准年减排量",
        "kgCO2/unit",
        "base-year kgCO2 per unit - this period's carbon_per_unit",
    ),
    "reduction_per_unit_share": (
        "Reduction per unit of product versus the base year, share",
        "单位产品较基准年减排比例",
        "",
        "reduction_per_unit / base-year kgCO2 per unit",
    ),
    "footprint_reduction": (
        "Key product carbon footprint reduction versus the base year",
        "重点产品碳足迹较基准年降低比例",
        "",
        "(base-year kgCO2e per unit - this period's) / base-year kgCO2e per unit (footprint.py)",
    ),
}


@dataclass(frozen=True)
class _Inputs:
    plant: PlantCfg
    site: Mapping[str, float]
    matching: Matching
    tce: EnergyTce
    kgce_per_kwh: float | None
    period_kind: PeriodKind
    extra: Mapping[str, float | None]

    @property
    def gross_kg(self) -> float:
        return self.site.get("scope1_kg", 0.0) + self.matching.scope2_market_kg

    @property
    def units(self) -> float:
        return self.site.get("units", 0.0)


def indicators(
    plant: PlantCfg,
    totals: Mapping[str, Mapping[str, float]],
    matching: Matching,
    library: FactorLibrary,
    at_ms: int,
    period_kind: PeriodKind,
    targets: TargetSetCfg | None,
    extra: Mapping[str, float | None] | None = None,
) -> list[Indicator]:
    """Every indicator of the period, then one per energy quota.

    ``totals``: additive period sums per node path; ``at_ms``: when the tce coefficients are
    taken (the period start); ``extra``: values computed elsewhere (``footprint_reduction``)."""
    site = totals.get(plant.site.id, {})
    slot = ("electricity", "tce", "default")
    k = library.value(library.select(slot, at_ms), at_ms) if library.has(slot) else None
    inp = _Inputs(plant, site, matching, energy_tce(site, library, at_ms), k, period_kind, extra or {})
    out = [_judge(i, fn(inp), targets) for i, fn in _VALUES.items()]
    out += [_quota(i, q, plant, totals, library, at_ms) for i, q in enumerate(plant.accounts.quotas)]
    return out


def _judge(ind: str, v: Value, targets: TargetSetCfg | None) -> Indicator:
    label_en, label_zh, unit, formula = SPECS[ind]
    value, missing = v
    t = next((x for x in targets.targets if x.indicator == ind), None) if targets else None
    target = None if t is None else (t.max if t.max is not None else t.min)
    comparison: Literal["max", "min"] | None = None if t is None else ("max" if t.max is not None else "min")
    passed = None
    if value is not None and target is not None:
        passed = value <= target if comparison == "max" else value >= target
    if missing is None and t is None:
        missing = (
            "no target set configured (accounts.target_set)"
            if targets is None
            else f"no target for it in set {targets.name!r}"
        )
    return Indicator(ind, label_en, label_zh, value, unit, formula, target, comparison, passed, missing)


def _ratio(num: float, den: float, what: str) -> Value:
    return (num / den, None) if den > 0 else (None, f"no {what} in the period")


def _energy(inp: _Inputs) -> Value:
    """Comprehensive energy kgce, or why it cannot be complete."""
    if inp.tce.missing:
        return None, "; ".join(inp.tce.missing)
    return inp.tce.total_kgce, None


def _renewable_kwh(inp: _Inputs) -> float:
    return inp.matching.self_consumed_kwh + inp.matching.covered_kwh


def _share_electricity(inp: _Inputs) -> Value:
    return _ratio(_renewable_kwh(inp), inp.matching.electricity_kwh, "electricity")


def _share_hourly(inp: _Inputs) -> Value:
    s = inp.matching.hourly_score
    return (s, None) if s is not None else (None, "no electricity in the period")


def _share_energy(inp: _Inputs) -> Value:
    kgce, why = _energy(inp)
    if kgce is None or inp.kgce_per_kwh is None:
        return None, why or "no tce coefficient for electricity"
    return _ratio(_renewable_kwh(inp) * inp.kgce_per_kwh, kgce, "energy")


def _carbon_per_energy(inp: _Inputs) -> Value:
    kgce, why = _energy(inp)
    return (None, why) if kgce is None else _ratio(inp.gross_kg / 1000, kgce / 1000, "energy")


def _carbon_per_unit(inp: _Inputs) -> Value:
    return _ratio(inp.gross_kg, inp.units, "production units")


def _energy_per_unit(inp: _Inputs) -> Value:
    kgce, why = _energy(inp)
    return (None, why) if kgce is None else _ratio(kgce, inp.units, "production units")


def _base_t(inp: _Inputs) -> Value:
    b = inp.plant.accounts.base_year
    if b is None:
        return None, "no base year configured (accounts.base_year)"
    if b.scope1_t is None or b.scope2_market_t is None:
        return None, "the base year needs scope1_t and scope2_market_t (accounts.base_year)"
    return b.scope1_t + b.scope2_market_t, None


def _reduction_t(inp: _Inputs) -> Value:
    base, why = _base_t(inp)
    if base is None:
        return None, why
    if inp.period_kind != "year":
        return None, "an absolute reduction compares a full year with the base year"
    return base - inp.gross_kg / 1000, None


def _reduction_share(inp: _Inputs) -> Value:
    red, why = _reduction_t(inp)
    base, _ = _base_t(inp)
    return (None, why) if red is None or base is None else _ratio(red, base, "base-year emissions")


def _base_per_unit(inp: _Inputs) -> Value:
    base, why = _base_t(inp)
    b = inp.plant.accounts.base_year
    if base is None or b is None:
        return None, why
    if not b.units:
        return None, "the base year needs its production units (accounts.base_year.units)"
    return base * 1000 / b.units, None


def _reduction_per_unit(inp: _Inputs) -> Value:
    base, why = _base_per_unit(inp)
    now, why_now = _carbon_per_unit(inp)
    if base is None or now is None:
        return None, why or why_now
    return base - now, None


def _reduction_per_unit_share(inp: _Inputs) -> Value:
    red, why = _reduction_per_unit(inp)
    base, _ = _base_per_unit(inp)
    return (None, why) if red is None or base is None else _ratio(red, base, "base-year emissions")


def _footprint(inp: _Inputs) -> Value:
    v = inp.extra.get("footprint_reduction")
    if v is None:
        return None, "no product footprint with a base year (accounts.footprints)"
    return v, None


_VALUES: dict[str, Callable[[_Inputs], Value]] = {
    "renewable_share_electricity": _share_electricity,
    "renewable_share_hourly": _share_hourly,
    "renewable_share_energy": _share_energy,
    "carbon_per_energy": _carbon_per_energy,
    "carbon_per_unit": _carbon_per_unit,
    "energy_per_unit": _energy_per_unit,
    "reduction_t": _reduction_t,
    "reduction_share": _reduction_share,
    "reduction_per_unit": _reduction_per_unit,
    "reduction_per_unit_share": _reduction_per_unit_share,
    "footprint_reduction": _footprint,
}


def quota_level(q: QuotaCfg, value: float) -> str:
    """The best level ``value`` meets: advanced <= access <= limit (lower is better)."""
    for name, bound in (("advanced", q.advanced), ("access", q.access), ("limit", q.limit)):
        if bound is not None and value <= bound:
            return name
    return "above_limit" if q.limit is not None else "none_met"


def _quota(
    i: int,
    q: QuotaCfg,
    plant: PlantCfg,
    totals: Mapping[str, Mapping[str, float]],
    lib: FactorLibrary,
    at_ms: int,
) -> Indicator:
    rel = relative_node(plant.site.id, q.node)
    path = plant.site.id if rel == "" else f"{plant.site.id}/{rel}"
    node = totals.get(path, {})
    name = q.product or path
    target = q.limit if q.limit is not None else (q.access if q.access is not None else q.advanced)
    if q.unit == "kgce/unit":
        tce = energy_tce(node, lib, at_ms)
        energy, why = (None, "; ".join(tce.missing)) if tce.missing else (tce.total_kgce, None)
        formula = f"comprehensive energy kgce of {path} / its units"
    else:
        energy, why = node.get("electricity_kwh", 0.0), None
        formula = f"electricity kWh of {path} / its units"
    units = node.get("units", 0.0)
    value, missing = (None, why) if energy is None else _ratio(energy, units, "production units")
    level = quota_level(q, value) if value is not None else None
    passed = None if value is None or target is None else value <= target
    std = f" ({q.standard})" if q.standard else ""
    return Indicator(
        id=f"energy_quota[{i}]:{path}",
        label_en=f"Energy quota, {name}{std}",
        label_zh=f"单位产品能耗限额: {name}{std}",
        value=value,
        unit=q.unit,
        formula=formula,
        target=target,
        comparison="max",
        passed=passed,
        missing=missing,
        level=level,
    )
