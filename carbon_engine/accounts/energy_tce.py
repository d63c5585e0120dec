"""Energy in standard coal equivalent (GB/T 2589): kgce per carrier and comprehensive consumption.

kgce of a carrier = the period's quantity in the carrier's base unit x the factor library's
``tce`` coefficient in force at the period start. Electricity is the site's consumption (grid
import + self-consumed on-site generation; exported kWh are not consumed) at its equivalent
value; steam and heat as purchased. Comprehensive energy consumption = the sum over carriers.
A carrier with a quantity but no coefficient is named in ``missing``, never counted as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from carbon_engine.factors import FactorLibrary
from carbon_engine.units import BASE_UNIT, CARRIER_POINTS

# carrier -> the additive total (site) holding its quantity, in BASE_UNIT
QUANTITY_POINT: dict[str, str] = {"electricity": "electricity_kwh", **CARRIER_POINTS}


@dataclass(frozen=True, slots=True)
class CarrierTce:
    carrier: str
    quantity: float
    unit: str
    kgce_per_unit: float
    kgce: float
    factor: str  # id@version of the coefficient


@dataclass(frozen=True)
class EnergyTce:
    rows: list[CarrierTce]
    missing: list[str]

    @property
    def by_carrier(self) -> dict[str, float]:
        return {r.carrier: r.kgce for r in self.rows}

    @property
    def total_kgce(self) -> float:
        """Comprehensive energy consumption of the period (kgce)."""
        return sum(r.kgce for r in self.rows)


def energy_tce(totals_site: Mapping[str, float], library: FactorLibrary, at_ms: int) -> EnergyTce:
    """kgce per carrier of a period's site totals, with the coefficients used."""
    rows, missing = [], []
    for carrier, point in QUANTITY_POINT.items():
        q = float(totals_site.get(point, 0.0))
        if q <= 0:
            continue
        slot = (carrier, "tce", "default")
        if not library.has(slot):
            missing.append(f"energy: no tce coefficient for {carrier} in the factor library ({q:g} {point})")
            continue
        entry = library.select(slot, at_ms)
        k = library.value(entry, at_ms)
        rows.append(CarrierTce(carrier, q, BASE_UNIT[carrier], k, q * k, entry.tag))
    return EnergyTce(rows, missing)


def tce_by_carrier(totals_site: Mapping[str, float], library: FactorLibrary, at_ms: int) -> dict[str, float]:
    """kgce per carrier (carriers without a coefficient left out: see ``energy_tce().missing``)."""
    return energy_tce(totals_site, library, at_ms).by_carrier
