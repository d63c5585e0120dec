"""A window the data starts inside (the first after a cold start) averages power over what it covers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from tests.carbon_engine.helpers import feed, find, ms

CASE = Path(__file__).parent / "golden" / "constant_grid"


def _grid_from(first: str, last: str) -> list[dict[str, object]]:
    """600 kW on the grid counter (2.5 kWh every 15 s) from ``first`` to ``last``."""
    t0, t1 = ms(first), ms(last)
    return [
        {
            "ts": dt.datetime.fromtimestamp(t / 1000, dt.UTC).isoformat(),
            "device": "main-meter",
            "points": {"import_energy": 1000.0 + 2.5 * (t - t0) / 15_000},
        }
        for t in range(t0, t1 + 1, 15_000)
    ]


def test_first_window_power_is_the_average_over_the_data() -> None:
    engine = Engine.from_file(CASE / "plant.toml")
    feed(engine, _grid_from("2024-03-01T02:00:30Z", "2024-03-01T02:03:00Z"))
    first = find(engine, "plant1", "1m", ms("2024-03-01T02:00:00Z"))
    full = find(engine, "plant1", "1m", ms("2024-03-01T02:01:00Z"))
    assert first is not None and full is not None
    assert first.values["energy_kwh"] == pytest.approx(5.0)  # 30 s of 600 kW: what was measured
    assert first.values["power_kw"] == pytest.approx(600.0)  # not 300: nothing is known before 02:00:30
    assert full.values["power_kw"] == pytest.approx(600.0)
    # The intensity is energy-weighted and unchanged by the shorter span.
    assert first.values["intensity_location_kg_per_kwh"] == pytest.approx(0.55)


def test_live_power_right_after_a_cold_start() -> None:
    engine = Engine.from_file(CASE / "plant.toml")
    lines = [*_grid_from("2024-03-01T02:00:30Z", "2024-03-01T02:00:45Z"), {"advance": "2024-03-01T02:00:46Z"}]
    feed(engine, lines, flush=False)
    site = next(v for v in engine.live() if v.path == "plant1")
    assert site.power_kw == pytest.approx(600.0)
