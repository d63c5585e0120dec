"""Properties of the accounting: conservation across roll-ups, no negative intensity, replay idempotence."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon_engine.config import load_plant
from carbon_engine.engine import Engine
from carbon_engine.factors import load_library
from tests.carbon_engine.helpers import DAY_MS, ms, telemetry

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"
T0 = ms("2026-03-02T01:00:00Z")
ENERGY = ("energy_kwh", "electricity_kwh", "scope1_kg", "scope2_location_kg", "scope2_market_kg", "units")

# One step of the stream: seconds since the previous sample, and each counter's rate as a share
# of the meter's max_rate in the example plant (grid, line1, line2, pv, gas, steam). Readings
# stay plausible: an implausible one is judged by the readings around it as they arrive, so
# only plausible streams have totals that no arrival order can change (test_counters.py and
# the golden cases cover implausible ones).
MAX_RATES = (3000, 1500, 1000, 500, 1000, 50)
step = st.tuples(
    st.integers(1, 200),
    *(st.floats(0, 1) for _ in MAX_RATES),
    st.integers(0, 20),
    st.booleans(),
)


def _stream(steps: list[tuple[object, ...]]) -> list[tuple[int, str, dict[str, float]]]:
    t, grid, l1, l2, pv, gas, steam, units = T0, 1000.0, 10.0, 20.0, 5.0, 100.0, 1.0, 0.0
    out = []
    for raw in steps:
        dt_s, *shares, du, reset = raw
        t += int(str(dt_s)) * 1000
        hours = int(str(dt_s)) / 3600
        dg, d1, d2, dp, dgas, dst = (
            float(str(f)) * m * hours for f, m in zip(shares, MAX_RATES, strict=True)
        )
        grid, l1, l2, pv = grid + dg, l1 + d1, l2 + d2, pv + dp  # type: ignore[operator]
        gas, steam = gas + dgas, steam + dst  # type: ignore[operator]
        units = 0.0 if reset else units + du  # type: ignore[operator]
        out += [
            (t, "main-meter", {"import_energy": grid}),
            (t, "line1-meter", {"import_energy": l1}),
            (t, "line2-meter", {"import_energy": l2}),
            (t, "pv-inverter", {"pv_energy": pv}),
            (t, "line1-plc", {"gas_total": gas, "steam_total": steam, "production_count": units}),
        ]
    return out


_PLANT = load_plant(EXAMPLE)
_LIB = load_library(_PLANT.site.timezone, None, _PLANT.site.grid_region)


def _engine() -> Engine:
    return Engine(_PLANT, _LIB)


def _finish(e: Engine, last: int) -> None:
    e.advance(last)
    e.advance(last + 2 * DAY_MS)


def _run(stream: list[tuple[int, str, dict[str, float]]], times: int = 1) -> Engine:
    e = _engine()
    for _ in range(times):
        for i, (t, dev, pts) in enumerate(stream):
            e.ingest(telemetry(dev, t, pts, seq=i))
            if i % 37 == 0:
                e.advance(t)
    _finish(e, stream[-1][0])
    return e


def _table(e: Engine) -> dict[tuple[str, str, int], dict[str, float]]:
    return {(r.node, r.size, r.start): r.values for r in e.results()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=2, max_size=40))
def test_rollups_conserve_energy_and_emissions(steps: list[tuple[object, ...]]) -> None:
    e = _run(_stream(steps))
    table = _table(e)
    starts = {(s, t) for (n, s, t) in table if n == "plant1"}
    assert starts
    for size, start in starts:
        site = table[("plant1", size, start)]
        parts = [table[(f"plant1/{a}", size, start)] for a in ("assembly", "utilities", "_unassigned")]
        lines = [table[(f"plant1/assembly/{ln}", size, start)] for ln in ("line1", "line2")]
        for key in ENERGY:
            total = site.get(key, 0.0)
            assert abs(sum(p.get(key, 0.0) for p in parts) - total) <= 1e-9 * max(1.0, abs(total))
            assembly = table[("plant1/assembly", size, start)].get(key, 0.0)
            assert abs(sum(ln.get(key, 0.0) for ln in lines) - assembly) <= 1e-9 * max(1.0, abs(assembly))
        for values in [site, *parts, *lines]:
            for key, v in values.items():
                if key.startswith("intensity") or key == "energy_per_unit_kwh":
                    assert v >= 0, (key, v)
            assert 0 <= values.get("renewable_share", 0) <= 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=2, max_size=30))
def test_replaying_the_stream_gives_the_same_windows(steps: list[tuple[object, ...]]) -> None:
    stream = _stream(steps)
    once, twice = _table(_run(stream)), _table(_run(stream, times=2))
    assert once.keys() == twice.keys()
    for key, values in once.items():
        for point, v in values.items():
            assert abs(twice[key][point] - v) <= 1e-9 * max(1.0, abs(v)), (key, point)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=3, max_size=30), st.randoms(use_true_random=False))
def test_arrival_order_does_not_change_the_totals(steps: list[tuple[object, ...]], rnd: object) -> None:
    stream = _stream(steps)
    shuffled = list(stream)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = _run(stream)
    b = _engine()
    for i, (t, dev, pts) in enumerate(shuffled):
        b.ingest(telemetry(dev, t, pts, seq=i))
    _finish(b, max(t for t, _, _ in stream))
    # Day totals are exact whatever the order (counters are cumulative).
    for r in a.results(size="1d"):
        other = next(x for x in b.results(r.node, "1d") if x.start == r.start)
        for point in ("energy_kwh", "scope1_kg", "units"):
            assert abs(other.values.get(point, 0) - r.values.get(point, 0)) <= 1e-6 * max(
                1, abs(r.values.get(point, 0))
            )
