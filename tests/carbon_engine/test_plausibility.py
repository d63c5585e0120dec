"""The plausibility guard beyond the golden cases: a real rate above the floor is not locked out,
and suspect readings and the learned limit survive a restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from tests.carbon_engine.helpers import feed

PLANT = """
[site]
id = "plant1"
timezone = "Asia/Shanghai"
grid_region = "east"

[engine]
allowed_lateness_s = 3600
publish_delay_s = 5
idle_close_s = 600
max_gap_s = 300
plausibility_floor_kw = {floor}

[[meters]]
id = "grid"
device = "main-meter"
point = "{point}"
role = "grid_import"
carrier = "electricity"
method = "{method}"
"""


def _engine(tmp: Path, floor: float, method: str = "counter") -> Engine:
    point = "import_energy" if method == "counter" else "active_power"
    f = tmp / "plant.toml"
    f.write_text(PLANT.format(floor=floor, point=point, method=method))
    return Engine.from_file(f)


def _lines(values: list[float], point: str = "import_energy", every_s: int = 30) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i, v in enumerate(values):
        s = i * every_s
        out.append(
            {"ts": f"2024-03-01T02:{s // 60:02d}:{s % 60:02d}Z", "device": "main-meter", "points": {point: v}}
        )
    return out


def _energy(e: Engine) -> float:
    return sum(r.values["energy_kwh"] for r in e.results("plant1", "1m"))


def test_a_counter_really_running_above_the_floor_is_booked(tmp_path: Path) -> None:
    e = _engine(tmp_path, floor=50)  # 120 kW is above 50 kW x 1.2: suspect at first
    feed(e, [*_lines([1000 + i for i in range(21)]), {"advance": "2024-03-01T02:20:00Z"}])
    st = e.engine_status(0)
    assert st.readings_dropped == {}  # the rate was sustained: real, booked
    assert _energy(e) == pytest.approx(20)
    assert st.limits["grid"] >= 10 * 120  # the limit made room


def test_a_power_meter_above_the_floor_is_integrated(tmp_path: Path) -> None:
    e = _engine(tmp_path, floor=1000, method="power")
    feed(e, [*_lines([5000.0] * 21, "active_power"), {"advance": "2024-03-01T02:20:00Z"}])
    assert e.engine_status(0).readings_dropped == {}
    assert _energy(e) == pytest.approx(5000 * 10 / 60)  # 10 minutes at 5 MW


def test_a_held_reading_and_the_learned_limit_survive_a_restart(tmp_path: Path) -> None:
    first = _engine(tmp_path, floor=1000)
    lines = [*_lines([100 + i for i in range(21)]), {"advance": "2024-03-01T02:10:10Z"}]
    feed(
        first,
        [*lines, {"ts": "2024-03-01T02:10:15Z", "device": "main-meter", "points": {"import_energy": 1e9}}],
        flush=False,
    )
    first.flush()
    assert first.core.meters.held
    state = json.loads(json.dumps(first.to_state()))  # through strict JSON, as the snapshot
    second = _engine(tmp_path, floor=1000)
    assert second.from_state(state)
    assert second.core.meters.held
    assert second.engine_status(0).limits["grid"] == pytest.approx(1200)  # learned: 10 x 120
    real = {"ts": "2024-03-01T02:10:30Z", "device": "main-meter", "points": {"import_energy": 121}}
    feed(second, [real, {"advance": "2024-03-01T02:11:00Z"}])
    assert second.engine_status(0).readings_dropped == {("grid", "spike"): 1}
    quarter = next(r for r in second.results("plant1", "15m"))
    assert quarter.values["energy_kwh"] == pytest.approx(21)  # 100 -> 121, none of the forged reading


def test_a_coarse_counter_polled_every_second_is_not_a_jump(tmp_path: Path) -> None:
    # 120 kW on a register of whole kWh read every second: one step of 1 kWh in 1 s is
    # 3600 kWh/h over that second, but 60 kWh/h over the minute the limit is on.
    e = _engine(tmp_path, floor=1000)
    values = [1000.0 + (s // 30) for s in range(301)]
    feed(e, [*_lines(values, every_s=1), {"advance": "2024-03-01T02:20:00Z"}])
    assert e.engine_status(0).readings_dropped == {}
    assert _energy(e) == pytest.approx(10)
