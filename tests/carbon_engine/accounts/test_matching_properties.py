"""Properties of period matching, on hourly results of the engine's own code (``EngineCore``)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon_engine.accounts.instruments import match_period
from carbon_engine.config import PlantCfg
from carbon_engine.core import EngineCore
from carbon_engine.factors import load_library
from carbon_engine.results import WindowResult
from tests.carbon_engine.helpers import DAY_MS, ms, telemetry

T0 = ms("2024-02-29T16:00:00Z")  # local midnight, 2024-03-01 in Asia/Shanghai
H = 3_600_000
HOURS = 72
RESIDUAL = 0.6096  # 2023 residual mix, in force in 2024
HEAT_PER_T = (2778.0 - 83.74) / 1000 * 110.0  # kgCO2 per t of default steam (factor library)
LIB = load_library("Asia/Shanghai", None, "east")

# Per hour: grid import kWh, PV kWh (all self-consumed), steam t.
hourly = st.lists(
    st.tuples(st.floats(0, 50), st.floats(0, 30), st.floats(0, 0.02)), min_size=HOURS, max_size=HOURS
)
pool = st.tuples(
    st.sampled_from(["gec", "ppa", "green_power_trading"]),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(0, 1500),
    st.booleans(),
)


def _plant(pools: list[tuple[str, int, int, int, bool]]) -> PlantCfg:
    meters: list[dict[str, Any]] = [
        {"id": "grid", "device": "main", "point": "e", "role": "grid_import", "carrier": "electricity"},
        {
            "id": "pv",
            "device": "pv",
            "point": "e",
            "role": "generation",
            "carrier": "electricity",
            "parent": "grid",
        },
        {"id": "steam", "device": "boiler", "point": "t", "carrier": "steam"},
    ]
    contracts = []
    for i, (kind, day, length, kwh, profiled) in enumerate(pools):
        end = min(3, day + length)
        period: dict[str, Any] = {"start": f"2024-03-0{day}", "end": f"2024-03-0{end}"}
        period["certificates" if kind == "gec" else "volume_mwh"] = (
            kwh // 1000 if kind == "gec" else kwh / 1000
        )
        c: dict[str, Any] = {"id": f"c{i}", "kind": kind, "periods": [period]}
        if profiled and kind != "gec":
            c["hourly_profile"] = [float(h % 5) for h in range(24)]
        contracts.append(c)
    return PlantCfg.model_validate(
        {
            "site": {"id": "plant1", "grid_region": "east"},
            "engine": {"windows": ["1h"], "idle_close_s": 600, "max_gap_s": 4000},
            "meters": meters,
            "contracts": contracts,
        }
    )


def _hours(plant: PlantCfg, steps: list[tuple[float, float, float]]) -> list[WindowResult]:
    core = EngineCore(plant, LIB)
    g = p = s = 0.0
    out: dict[tuple[str, int], WindowResult] = {}
    for h in range(HOURS + 1):
        t = T0 + h * H
        for dev, point, v in (("main", "e", g), ("pv", "e", p), ("boiler", "t", s)):
            core.ingest_many([telemetry(dev, t, {point: v}, seq=h)])
        if h < HOURS:
            g, p, s = g + steps[h][0], p + steps[h][1], s + steps[h][2]
    for now in (T0 + HOURS * H + 2 * DAY_MS, T0 + HOURS * H + 4 * DAY_MS):
        out.update({(r.node, r.start): r for r in core.advance_windows(now)})
    return list(out.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hourly, st.lists(pool, max_size=4), st.integers(1, HOURS - 1), st.integers(1, HOURS - 1))
def test_period_matching_is_bounded_additive_and_uses_each_kwh_once(
    steps: list[tuple[float, float, float]], pools: list[tuple[str, int, int, int, bool]], a: int, b: int
) -> None:
    plant = _plant(pools)
    hours = _hours(plant, steps)
    cuts = [T0, T0 + min(a, b) * H, T0 + max(a, b) * H, T0 + HOURS * H]
    whole = match_period(plant, hours, cuts[0], cuts[-1])
    parts = [match_period(plant, hours, x, y, hours_from_ms=T0) for x, y in itertools.pairwise(cuts)]
    for m in [whole, *parts]:
        assert m.missing == []
        electricity_part = m.scope2_market_kg - m.heat_kg
        assert -1e-9 <= electricity_part <= m.grid_kwh * RESIDUAL + 1e-6
        assert 0 <= m.covered_kwh <= m.grid_kwh + 1e-9
        assert m.heat_kg == pytest.approx(
            HEAT_PER_T * sum(s[2] for s in _in(steps, m.start_ms, m.end_ms)), abs=1e-6
        )
        if m.hourly_score is not None:
            assert 0 <= m.hourly_score <= 1 + 1e-12
    assert sum(p.covered_kwh for p in parts) == pytest.approx(whole.covered_kwh, abs=1e-6)
    for key in ("grid_kwh", "grid_residual_kg", "heat_kg", "hourly_matched_kwh"):
        assert sum(getattr(p, key) for p in parts) == pytest.approx(getattr(whole, key), abs=1e-6), key
    for u in whole.pools:  # each pool: used once, the rest surplus; nothing invented
        assert u.used_kwh + u.surplus_kwh + u.remaining_kwh == pytest.approx(u.volume_kwh, abs=1e-6)
        used_in_parts = sum(p.by_contract.get(u.contract, 0.0) for p in parts)
        assert used_in_parts == pytest.approx(u.used_kwh, abs=1e-6)


def _in(steps: list[tuple[float, float, float]], start: int, end: int) -> list[tuple[float, float, float]]:
    return [s for h, s in enumerate(steps) if start <= T0 + h * H < end]
