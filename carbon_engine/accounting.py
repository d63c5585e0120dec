"""From a window's per-channel sums to the outputs of every node: energy, scopes, intensities.

Scope 2 electricity is settled at the site and allocated to nodes by their consumption:
location-based = consumed kWh at the grid average of the site's region (self-consumed
on-site renewables at the grid average or at zero, by site policy); market-based = grid import
not covered by green-power instruments at the residual mix, instruments and self-consumed
on-site renewables at zero. Purchased heat counts the same in both methods.

Instruments are spread evenly over their validity and matched window by window, so a window's
market-based figure is an estimate; a reporting period's is matched within the period
(``carbon_engine/accounts/instruments.py``), from each hour's ``grid_residual_kg``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import numpy as np

from carbon_engine.config import ContractCfg, PeriodCfg
from carbon_engine.line_states import LineStates
from carbon_engine.topology import CONSUMING, FUELS, Topology
from carbon_engine.units import CARRIER_POINTS, OUTPUT_UNITS
from carbon_engine.windows import Acc

MS_PER_H = 3_600_000.0
SITE_ONLY = ("grid_import_kwh", "self_consumed_kwh", "covered_kwh", "grid_residual_kg")
CONTRACT_KINDS = ("gec", "ppa", "green_power_trading")


@dataclass(frozen=True, slots=True)
class Rate:
    """A contract period as a constant rate of MWh over its time span."""

    start_ms: int
    end_ms: int
    kwh_per_ms: float
    kind: str = "gec"


def validity_ms(p: PeriodCfg, zone: zoneinfo.ZoneInfo) -> tuple[int, int]:
    """A contract period's span: local midnight of its first day to the one after its last day."""

    def ms(d: dt.date) -> int:
        return int(dt.datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() * 1000)

    return ms(p.start), ms(p.end + dt.timedelta(days=1))


def contract_rates(contracts: list[ContractCfg], tz: str) -> list[Rate]:
    """Spread each period's volume (1 GEC = 1 MWh) evenly over the period."""
    zone = zoneinfo.ZoneInfo(tz)
    out = []
    for c in contracts:
        for p in c.periods:
            start, end = validity_ms(p, zone)
            out.append(Rate(start, end, p.mwh * 1000.0 / (end - start), c.kind))
    return out


def coverage_kwh(rates: list[Rate], start: int, end: int, kind: str | None = None) -> float:
    """Instrument volume falling in [start, end), of one kind of instrument or of all."""
    return sum(
        r.kwh_per_ms * max(0, min(end, r.end_ms) - max(start, r.start_ms))
        for r in rates
        if kind is None or r.kind == kind
    )


class Accountant:
    """Precomputed masks of a topology; ``compute`` is a few matrix products per window."""

    def __init__(self, topo: Topology, rates: list[Rate], zero_onsite: bool) -> None:
        self.topo = topo
        self.rates = rates
        self.zero_onsite = zero_onsite
        cons = topo.role_mask(*CONSUMING)
        elec = topo.carrier_mask("electricity")
        # Grid supply: import meters, and top-level consumption meters (nothing else feeds them).
        roots = np.array([c.parent is None for c in topo.channels], dtype=bool)
        self.grid = topo.role_mask("grid_import", "consumption") & elec & roots
        self.selfc = topo.role_mask("self")
        self.gen = topo.role_mask("generation")
        self.export = topo.role_mask("grid_export")
        self.elec_cons = cons & elec
        self.energy_w = np.where(cons, topo.kwh_per_unit, 0.0)
        self.fuel = cons & topo.carrier_mask(*FUELS)
        self.heat = cons & topo.carrier_mask("steam", "heat")
        self.h2 = cons & topo.carrier_mask("hydrogen")
        self.prod = topo.role_mask("production")
        self.carrier_masks = [cons & topo.carrier_mask(c) for c in topo.carriers]
        self.points = list(OUTPUT_UNITS) + [CARRIER_POINTS[c] for c in topo.carriers]
        self.col = {p: i for i, p in enumerate(self.points)}
        # The meters a node's coverage and gaps come from: every meter it counts.
        self.members = ((topo.a != 0) | (topo.b != 0)) & ~self.selfc
        self.states: LineStates | None = None

    def add_states(self, states: LineStates) -> None:
        """Report energy and emissions per line state too (lines with a state point)."""
        if states.slots:
            self.states = states
            self.points += states.points
            self.col = {p: i for i, p in enumerate(self.points)}

    def _self_consumption(self, q: np.ndarray, loc: np.ndarray) -> None:
        """Fill the virtual self-consumption channels: generation not exported, behind each meter."""
        t = self.topo
        for parent, s in t.self_of.items():
            g = float(q[t.gen_of[parent]].sum())
            e = float(q[t.exp_of[parent]].sum()) if len(t.exp_of[parent]) else 0.0
            sc = max(0.0, g - e)
            q[s] = sc
            share = sc / g if g > 0 else 0.0
            loc[s] = 0.0 if self.zero_onsite else float(loc[t.gen_of[parent]].sum()) * share

    def compute(
        self, acc: Acc, start: int | None = None, end: int | None = None, spans: np.ndarray | None = None
    ) -> np.ndarray:
        """Outputs (nodes x points; NaN where undefined) of one window's sums.

        ``spans``: each meter's part of the window (ms) its coverage is measured against."""
        start = acc.start if start is None else start
        end = acc.end if end is None else end
        q, loc, rm = acc.qty.copy(), acc.loc.copy(), acc.rm
        self._self_consumption(q, loc)
        g, s = float(q[self.grid].sum()), float(q[self.selfc].sum())
        residual = float(rm[self.grid].sum())  # grid import at the residual mix, before instruments
        e_site = g + s
        offered = coverage_kwh(self.rates, start, end)
        covered = min(g, offered)
        market = residual * (g - covered) / g if g > 0 else 0.0
        loc_elec = float(loc[self.grid].sum() + loc[self.selfc].sum())
        l_e = loc_elec / e_site if e_site > 0 else 0.0
        m_e = market / e_site if e_site > 0 else 0.0
        share = (s + covered) / e_site if e_site > 0 else 0.0
        cols = [
            q * self.elec_cons,
            q * self.energy_w,
            loc * self.fuel,
            loc * self.heat,
            loc * self.h2,
            q * self.prod,
            acc.est * self.energy_w,
        ] + [q * m for m in self.carrier_masks]
        agg = self.topo.a @ np.column_stack(cols)
        gen = self.topo.b @ np.column_stack([q * self.gen, q * self.export])
        out = np.full((len(self.topo.nodes), len(self.points)), np.nan)
        elec, energy, s1, heat, up, units, est = (agg[:, i] for i in range(7))
        c = self.col
        out[:, c["electricity_kwh"]] = elec
        out[:, c["energy_kwh"]] = energy
        hours = max((end - start) / MS_PER_H, 1e-9)
        out[:, c["power_kw"]] = elec / hours
        out[:, c["scope1_kg"]] = s1
        out[:, c["scope2_location_kg"]] = elec * l_e + heat
        out[:, c["scope2_market_kg"]] = elec * m_e + heat
        out[:, c["emissions_location_kg_per_h"]] = (s1 + elec * l_e + heat) / hours
        out[:, c["emissions_market_kg_per_h"]] = (s1 + elec * m_e + heat) / hours
        # Scope 2 of electricity is settled at the site: every consuming node's electricity
        # carries the site's factor; undefined where a node used no electricity.
        out[:, c["intensity_electricity_location_kg_per_kwh"]] = np.where(elec > 0, l_e, np.nan)
        out[:, c["intensity_electricity_market_kg_per_kwh"]] = np.where(elec > 0, m_e, np.nan)
        out[:, c["upstream_kg"]] = up
        out[:, c["units"]] = units
        out[:, c["generation_kwh"]] = gen[:, 0]
        out[:, c["export_kwh"]] = gen[:, 1]
        out[:, c["renewable_share"]] = np.where(elec > 0, share, 0.0)
        out[:, c["estimated_share"]] = np.where(
            energy > 0, np.clip(est / np.where(energy > 0, energy, 1), 0, 1), 0.0
        )
        self._ratios(out, energy, units)
        self._coverage(out, acc, spans)
        for i, p in enumerate(CARRIER_POINTS[x] for x in self.topo.carriers):
            out[:, c[p]] = agg[:, 7 + i]
        out[0, c["grid_import_kwh"]] = g
        out[0, c["self_consumed_kwh"]] = s
        out[0, c["covered_kwh"]] = covered
        out[0, c["grid_residual_kg"]] = residual
        for kind in CONTRACT_KINDS:  # the cover split by instrument, in proportion when capped
            part = coverage_kwh(self.rates, start, end, kind)
            out[0, c[f"covered_{kind}_kwh"]] = part * covered / offered if offered > 0 else 0.0
        if self.states is not None and acc.st.shape[0] == self.states.slots:
            self.states.outputs(out, c, acc.st, l_e, m_e)
        return out

    def _coverage(self, out: np.ndarray, acc: Acc, spans: np.ndarray | None) -> None:
        """A node's coverage is the lowest of its meters' (a node is as complete as its least
        complete meter); its gaps are the sum of theirs."""
        c = self.col
        out[:, c["gaps"]] = self.members.astype(np.float64) @ acc.gaps
        cov = meter_coverage(acc, spans)
        out[:, c["coverage"]] = np.where(self.members & ~np.isnan(cov), cov, np.inf).min(axis=1)
        out[np.isinf(out[:, c["coverage"]]), c["coverage"]] = np.nan

    def _ratios(self, out: np.ndarray, energy: np.ndarray, units: np.ndarray) -> None:
        """Intensities: defined where the denominator is positive, never negative."""
        c = self.col
        s1 = out[:, c["scope1_kg"]]
        loc = s1 + out[:, c["scope2_location_kg"]]
        mkt = s1 + out[:, c["scope2_market_kg"]]
        with np.errstate(divide="ignore", invalid="ignore"):
            has_e, has_u = energy > 1e-12, units > 1e-12
            out[:, c["intensity_location_kg_per_kwh"]] = np.where(has_e, np.maximum(loc / energy, 0), np.nan)
            out[:, c["intensity_market_kg_per_kwh"]] = np.where(has_e, np.maximum(mkt / energy, 0), np.nan)
            out[:, c["intensity_kg_per_unit"]] = np.where(has_u, np.maximum(mkt / units, 0), np.nan)
            out[:, c["intensity_location_kg_per_unit"]] = np.where(has_u, np.maximum(loc / units, 0), np.nan)
            out[:, c["energy_per_unit_kwh"]] = np.where(has_u, np.maximum(energy / units, 0), np.nan)


def meter_coverage(acc: Acc, spans: np.ndarray | None) -> np.ndarray:
    """Each meter's share of its part of the window backed by good samples (NaN: no part)."""
    if spans is None:
        spans = np.full(len(acc.cov), float(acc.end - acc.start))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spans > 0, np.clip(acc.cov / spans, 0.0, 1.0), np.nan)
