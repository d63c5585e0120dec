"""Counter glitches: the same energy whatever the arrival order, and across a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from tests.carbon_engine.helpers import DAY_MS, find, ms, read_lines, telemetry

CASE = Path(__file__).parent / "golden" / "counter_glitch"
READINGS = [
    (ms(x["ts"]), x["points"]["import_energy"]) for x in read_lines(CASE / "input.jsonl") if "ts" in x
]
START = ms("2024-03-01T02:00:00Z")


def _quarter(e: Engine) -> float:
    e.advance(READINGS[-1][0] + 2 * DAY_MS)
    r = find(e, "plant1", "15m", START)
    assert r is not None
    return r.values["energy_kwh"]


def _feed(e: Engine, order: list[int]) -> None:
    for i in order:
        t, v = READINGS[i]
        e.ingest(telemetry("main-meter", t, {"import_energy": v}, seq=i))
        e.advance(t)


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4], [0, 1, 3, 4, 2], [2, 0, 1, 3, 4], [0, 2, 1, 3, 4]])
def test_glitch_counts_the_same_in_any_arrival_order(order: list[int]) -> None:
    e = Engine.from_file(CASE / "plant.toml")
    _feed(e, order)
    assert _quarter(e) == pytest.approx(40)  # 100040 - 100000, never 100030 from the zero


def test_glitch_across_a_restart(tmp_path: Path) -> None:
    first = Engine.from_file(CASE / "plant.toml", tmp_path)
    _feed(first, [0, 1, 2])  # stops right after the zero
    first.save_snapshot()
    second = Engine.from_file(CASE / "plant.toml", tmp_path)
    _feed(second, [3, 4])
    assert _quarter(second) == pytest.approx(40)


def test_a_reading_after_an_outage_of_weeks_is_booked() -> None:
    """A counter interval of 14 days holds more minutes than the factor cache keeps (10,000)."""
    e = Engine.from_file(CASE / "plant.toml")
    t0 = ms("2024-03-01T02:00:00Z")
    for i, (t, v) in enumerate([(t0, 100000.0), (t0 + 14 * DAY_MS, 100140.0)]):
        e.ingest(telemetry("main-meter", t, {"import_energy": v}, seq=i))
    e.advance(t0 + 14 * DAY_MS)
    e.advance(t0 + 16 * DAY_MS)  # the idle clock closes the last day
    days = e.results("plant1", "1d")
    assert sum(r.values["energy_kwh"] for r in days) == pytest.approx(140)
