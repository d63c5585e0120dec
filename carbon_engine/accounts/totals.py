"""A period's additive totals per node: sums of the ledger's hours.

Additive: a quantity of a window that is a sum over its minutes (energy, per-carrier amounts,
Scope 1, location-based Scope 2, upstream, units, generation, export and, at the site, grid
import, self-consumption and grid import at the residual mix). The period figure is the sum of
its hours, taken with ``math.fsum`` (correctly rounded, so it does not depend on the order of
the hours). A node's location-based Scope 2 below the site is the site's electricity settled per
window and allocated by the node's share of it: the period's figure is the sum of the hourly
allocations (the site's own figure adds up over any windows). Not additive, never summed here:
market-based Scope 2 and the instrument cover of a period (instruments are matched within the
period, not window by window, see ``instruments.py``), intensities and shares (ratios of
period sums). The sum of the windows'
market-based figures is kept apart as an *estimate* (``window_estimates``).
"""

from __future__ import annotations

import math

from carbon_engine.accounts.ledger import Ledger
from carbon_engine.units import CARRIER_POINTS

ADDITIVE: tuple[str, ...] = (
    "electricity_kwh",
    "energy_kwh",
    "scope1_kg",
    "scope2_location_kg",
    "upstream_kg",
    "units",
    "generation_kwh",
    "export_kwh",
    *CARRIER_POINTS.values(),
    # site only
    "grid_import_kwh",
    "self_consumed_kwh",
    "grid_residual_kg",
)
# Sums of figures that are matched per window: a window-by-window estimate, not the period's.
WINDOW_ESTIMATES: tuple[str, ...] = ("scope2_market_kg", "covered_kwh")


def _sums(ledger: Ledger, points: tuple[str, ...]) -> dict[str, dict[str, float]]:
    parts: dict[str, dict[str, list[float]]] = {}
    for r in ledger.hours:
        node = parts.setdefault(r.node, {})
        for p in points:
            v = r.values.get(p)
            if v is not None:
                node.setdefault(p, []).append(v)
    return {n: {p: math.fsum(vs) for p, vs in pts.items()} for n, pts in parts.items()}


def period_totals(ledger: Ledger) -> dict[str, dict[str, float]]:
    """Node path -> additive point -> the period's total (points a node never has are absent)."""
    return _sums(ledger, ADDITIVE)


def window_estimates(ledger: Ledger) -> dict[str, dict[str, float]]:
    """Node path -> the sum of the hours' market-based Scope 2 and cover: estimates, labelled so."""
    return _sums(ledger, WINDOW_ESTIMATES)
