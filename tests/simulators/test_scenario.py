"""The scenario: determinism, integrated counters, counter events, shifts and the clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from simulators.profiles import IDLE, RUNNING, rates_at
from simulators.scenario import WRAP, CounterEvent, Scenario, ScenarioClock, ScenarioConfig

TZ = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0) -> float:
    return datetime(2025, 6, 2, hour, minute, tzinfo=TZ).timestamp()


def series(seed: int, start: float, n: int = 50, dt: float = 37.0) -> list[tuple[float, ...]]:
    sc = Scenario(ScenarioConfig(start=start, seed=seed))
    out = []
    for i in range(1, n + 1):
        s = sc.advance(start + i * dt)
        out.append((s.rates.grid_kw, s.rates.pv_kw, *s.counters))
    return out


def test_same_seed_same_series_and_other_seed_differs() -> None:
    start = at(10)
    assert series(7, start) == series(7, start)
    assert series(7, start) != series(8, start)


def test_counters_do_not_depend_on_call_pattern() -> None:
    start = at(9)
    fine = Scenario(ScenarioConfig(start=start, seed=3))
    t = start
    while t < start + 600:
        t += 0.7
        fine.advance(t)
    coarse = Scenario(ScenarioConfig(start=start, seed=3)).advance(t)
    assert fine.last.counters == pytest.approx(coarse.counters, rel=1e-12)


def test_energy_counters_are_the_integral_of_power() -> None:
    start = at(11)
    sc = Scenario(ScenarioConfig(start=start, seed=5))
    first = sc.advance(start).counters
    last = sc.advance(start + 3600).counters
    # Independent midpoint integration of the instantaneous profiles at 0.5 s.
    h = 0.5
    integral = {"line1": 0.0, "line2": 0.0, "pv": 0.0, "grid": 0.0, "gas": 0.0}
    for i in range(int(3600 / h)):
        r = rates_at(5, start + (i + 0.5) * h, TZ)
        integral["line1"] += r.line1.kw * h / 3600
        integral["line2"] += r.line2.kw * h / 3600
        integral["pv"] += r.pv_kw * h / 3600
        integral["grid"] += r.grid_kw * h / 3600
        integral["gas"] += r.line1.gas_nm3_h * h / 3600
    assert last.line1_kwh - first.line1_kwh == pytest.approx(integral["line1"], rel=5e-3)
    assert last.line2_kwh - first.line2_kwh == pytest.approx(integral["line2"], rel=5e-3)
    assert last.pv_kwh - first.pv_kwh == pytest.approx(integral["pv"], rel=5e-3)
    assert last.grid_kwh - first.grid_kwh == pytest.approx(integral["grid"], rel=5e-3)
    assert last.line1_gas_nm3 - first.line1_gas_nm3 == pytest.approx(integral["gas"], rel=5e-3)


def test_grid_import_balances_loads_and_pv() -> None:
    for hour in (3, 8, 12, 15, 20):
        r = rates_at(1, at(hour, 30), TZ)
        assert r.grid_kw == pytest.approx(max(0.0, r.line1.kw + r.line2.kw + r.base_kw - r.pv_kw))
        if r.line1.state == RUNNING:
            assert 300 <= r.line1.kw <= 450
        if r.line2.state == RUNNING:
            assert 200 <= r.line2.kw <= 300


def test_pv_follows_daylight() -> None:
    assert rates_at(1, at(2), TZ).pv_kw == 0.0
    assert rates_at(1, at(20), TZ).pv_kw == 0.0
    noon = rates_at(1, at(12), TZ).pv_kw
    assert 70.0 < noon <= 250.0


def test_counter_reset_event() -> None:
    start = at(10)
    sc = Scenario(ScenarioConfig(start=start, seed=2, counter_event=CounterEvent("reset", 120)))
    before = sc.advance(start + 119)
    assert before.line2_register_wh == pytest.approx(before.counters.line2_kwh * 1000, abs=1)
    after = sc.advance(start + 121)
    assert 0 <= after.line2_register_wh < 300  # one second of at most ~300 kW
    later = sc.advance(start + 400)
    energy_wh = (later.counters.line2_kwh - after.counters.line2_kwh) * 1000
    assert later.line2_register_wh - after.line2_register_wh == pytest.approx(energy_wh, abs=1)


def test_counter_wrap_event() -> None:
    start = at(10)
    sc = Scenario(ScenarioConfig(start=start, seed=2, counter_event=CounterEvent("wrap", 120)))
    before = sc.advance(start + 100)
    assert WRAP - 40_000 < before.line2_register_wh < WRAP
    after = sc.advance(start + 130)
    assert 0 <= after.line2_register_wh < 5_000
    energy_wh = (after.counters.line2_kwh - before.counters.line2_kwh) * 1000
    delta = (after.line2_register_wh - before.line2_register_wh) % WRAP
    assert delta == pytest.approx(energy_wh, abs=1)


def test_production_counter_resets_at_shift_change() -> None:
    start = at(13, 30)
    sc = Scenario(ScenarioConfig(start=start, seed=4))
    before = sc.advance(at(13, 59))
    assert before.counters.line1_units > 1000
    assert before.counters.line2_units > 500
    changeover = sc.advance(at(14, 5))
    assert changeover.rates.line1.state == IDLE
    assert changeover.counters.line1_units == 0.0
    assert changeover.counters.line2_units == 0.0
    later = sc.advance(at(15))
    assert later.counters.line1_units > 0


def test_gas_and_steam_follow_line_state() -> None:
    idle = rates_at(1, at(22, 3), TZ)  # changeover
    assert idle.line1.state == IDLE
    running = [rates_at(1, at(10) + i * 300, TZ) for i in range(12)]
    busy = [r for r in running if r.line1.state == RUNNING]
    assert busy
    assert all(r.line1.gas_nm3_h > idle.line1.gas_nm3_h for r in busy)
    assert all(r.line1.steam_t_h > idle.line1.steam_t_h for r in busy)


def test_clock_speed_and_freeze() -> None:
    now = [100.0]
    clock = ScenarioClock(1000.0, speed=10.0, monotonic=lambda: now[0])
    now[0] += 1.5
    assert clock.now() == pytest.approx(1015.0)
    assert clock.elapsed() == pytest.approx(15.0)
    frozen = ScenarioClock(1000.0, speed=0.0, monotonic=lambda: now[0])
    now[0] += 100
    assert frozen.now() == 1000.0
    with pytest.raises(ValueError):
        ScenarioClock(0.0, speed=-1)


def test_time_never_goes_backwards() -> None:
    start = at(10)
    sc = Scenario(ScenarioConfig(start=start, seed=1))
    a = sc.advance(start + 51)
    b = sc.advance(start + 10)
    assert b.t == a.t
    assert b.counters == a.counters
