"""Energy per line state: intervals cut at state changes, the hold, restarts, plant-file errors."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest

from carbon_engine.config import check
from carbon_engine.engine import Engine
from tests.carbon_engine.helpers import DAY_MS, find, ms, telemetry

T0 = ms("2024-03-01T02:00:00Z")
LINE = "plant1/assembly/line7"
PLANT = """
[site]
id = "plant1"
timezone = "Asia/Shanghai"
grid_region = "east"

[engine]
max_gap_s = 600

[[areas]]
id = "assembly"
lines = [{{ id = "line7", state = {{ device = "plc", point = "state", {state} }} }}]

[[meters]]
id = "grid"
device = "main-meter"
point = "import_energy"
role = "grid_import"
carrier = "electricity"

[[meters]]
id = "line7-power"
device = "line7-meter"
point = "active_power"
carrier = "electricity"
method = "power"
unit = "kW"
node = "assembly/line7"
parent = "grid"
"""
STATES = "states = { idle = 0, running = 1, stopped = 3 }, hold_s = 120"


def _engine(tmp_path: Path, state: str = STATES) -> Engine:
    path = tmp_path / "plant.toml"
    path.write_text(PLANT.format(state=state))
    return Engine.from_file(path)


def _power(e: Engine, t_s: int, kw: float) -> None:
    e.ingest(telemetry("line7-meter", T0 + t_s * 1000, {"active_power": kw}))


def _state(e: Engine, t_s: int, code: float) -> None:
    e.ingest(telemetry("plc", T0 + t_s * 1000, {"state": code}))


def _hour(e: Engine) -> dict[str, float]:
    e.advance(T0 + 3600_000)  # input stops: the watermark moves on with the clock from here
    e.advance(T0 + 2 * DAY_MS)
    r = find(e, LINE, "1h", T0)
    assert r is not None
    return r.values


def test_an_interval_is_shared_by_time_at_a_state_change(tmp_path: Path) -> None:
    e = _engine(tmp_path)
    _state(e, 0, 1)
    _state(e, 45, 0)  # idle from 02:00:45, inside the power interval 02:00:00-02:02:00
    _power(e, 0, 60.0)
    _power(e, 120, 60.0)  # 60 kW for 2 minutes = 2 kWh: 45 s running, 75 s idle
    v = _hour(e)
    assert v["energy_kwh"] == pytest.approx(2.0)
    assert v["state_running_kwh"] == pytest.approx(2.0 * 45 / 120)
    assert v["state_idle_kwh"] == pytest.approx(2.0 * 75 / 120)
    assert v["idle_share"] == pytest.approx(75 / 120)
    minute = find(e, LINE, "1m", T0 + 60_000)
    assert minute is not None and minute.values["idle_share"] == pytest.approx(1.0)


def test_state_is_unknown_before_the_first_sample_and_after_the_hold(tmp_path: Path) -> None:
    e = _engine(tmp_path)
    for t in range(0, 601, 60):
        _power(e, t, 60.0)  # 1 kWh a minute for 10 minutes
    _state(e, 120, 3)  # stopped from minute 2; the PLC then falls silent: the hold is 120 s
    v = _hour(e)
    assert v["state_unknown_kwh"] == pytest.approx(2.0 + 6.0)  # minutes 0-1 and 4-9
    assert v["state_stopped_kwh"] == pytest.approx(2.0)
    assert v["idle_energy_kwh"] == pytest.approx(2.0)
    assert v["idle_share"] == pytest.approx(0.2)


def test_a_code_the_line_does_not_name_is_the_unknown_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    e = _engine(tmp_path)
    with caplog.at_level(logging.WARNING, logger="carbon_engine.line_states"):
        _state(e, 0, 7)
        _state(e, 30, 7)
    _power(e, 0, 60.0)
    _power(e, 60, 60.0)
    v = _hour(e)
    assert v["state_unknown_kwh"] == pytest.approx(1.0) and v["idle_energy_kwh"] == 0
    assert e.core.line_states.unnamed == 2
    assert [r.getMessage() for r in caplog.records] == [
        "state code no state names device=plc point=state code=7.0: its energy counts as unknown"
    ]


def test_states_add_up_to_the_line_and_survive_a_restart(tmp_path: Path) -> None:
    rnd = random.Random(5)
    events = []
    for t in range(0, 3600, 20):
        events.append(("power", t, rnd.uniform(10, 200)))
        if rnd.random() < 0.3:
            events.append(("state", t + rnd.randint(0, 19), rnd.choice([0, 1, 3])))
    (tmp_path / "a").mkdir()
    whole = _engine(tmp_path / "a")
    for kind, t, v in events:
        (_power if kind == "power" else _state)(whole, t, v)
    (tmp_path / "b").mkdir()
    first = _engine(tmp_path / "b")
    half = len(events) // 2
    for kind, t, v in events[:half]:
        (_power if kind == "power" else _state)(first, t, v)
    state = json.loads(json.dumps(first.core.to_state()))
    second = _engine(tmp_path / "b")
    second.core.from_state(state)
    for kind, t, v in events[half:]:
        (_power if kind == "power" else _state)(second, t, v)
    a, b = _hour(whole), _hour(second)
    parts = sum(a[f"state_{n}_kwh"] for n in ("idle", "running", "stopped", "unknown"))
    assert parts == pytest.approx(a["energy_kwh"], rel=1e-12)
    assert a["idle_energy_kwh"] > 0 and a["state_running_kwh"] > 0
    for key in ("idle_energy_kwh", "state_running_kwh", "state_unknown_kwh", "idle_kg"):
        assert b[key] == pytest.approx(a[key], rel=1e-9), key


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (
            'states = { idle = 0, running = 1 }, idle = ["paused"]',
            "idle names ['paused'] that are not states",
        ),
        ("states = { Running = 1, idle = 0 }", "state name 'Running': lower-case letters"),
        ("states = { unknown = 1, idle = 0 }", "not 'unknown' (reserved)"),
        ("states = { running = 1, busy = 2 }", "no state is called idle or stopped"),
        ("states = { running = 1, idle = 1 }", "two states share one code"),
    ],
)
def test_bad_line_states_are_refused_naming_the_key(tmp_path: Path, state: str, problem: str) -> None:
    path = tmp_path / "plant.toml"
    path.write_text(PLANT.format(state=state))
    problems = check(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: areas[0].lines[0].state"), problems
    assert problem in problems[0]


def test_a_meter_point_cannot_be_a_state_point(tmp_path: Path) -> None:
    path = tmp_path / "plant.toml"
    text = PLANT.format(state=STATES).replace(
        'device = "plc", point = "state"', 'device = "main-meter", point = "import_energy"'
    )
    path.write_text(text)
    assert check(path) == [
        f"{path}: areas[0].lines[0].state: main-meter/import_energy is the point of meter 'grid'"
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_states_add_up_to_the_line_with_late_and_replayed_samples(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    events = [("power", t, rnd.uniform(0, 300)) for t in range(0, 1800, 15)]
    events += [("state", rnd.randint(0, 1800), rnd.choice([0, 1, 3, 9])) for _ in range(40)]
    events.sort(key=lambda e: e[1])
    for _ in range(30):  # late arrivals: a sample moved back in arrival order, some sent twice
        i, j = sorted(rnd.sample(range(len(events)), 2))
        events.insert(i, events[j] if rnd.random() < 0.5 else events.pop(j))
    e = _engine(tmp_path)
    for kind, t, v in events:
        (_power if kind == "power" else _state)(e, t, v)
    v = _hour(e)
    parts = sum(v[f"state_{n}_kwh"] for n in ("idle", "running", "stopped", "unknown"))
    assert v["energy_kwh"] > 0
    assert parts == pytest.approx(v["energy_kwh"], rel=1e-9)
    assert v["idle_energy_kwh"] == pytest.approx(v["state_idle_kwh"] + v["state_stopped_kwh"], rel=1e-12)


def test_a_snapshot_from_before_line_states_loads(tmp_path: Path) -> None:
    """An engine upgraded under a running plant restores its windows; state sums start at zero."""
    e = _engine(tmp_path)
    _state(e, 0, 1)
    for t in range(0, 121, 60):
        _power(e, t, 60.0)
    state = json.loads(json.dumps(e.core.to_state()))
    del state["line_states"]
    for w in state["windows"]:
        del w["st"]
    again = _engine(tmp_path)
    again.core.from_state(state)
    _power(again, 180, 60.0)  # no state known after the restore: unknown from here
    v = _hour(again)
    assert v["energy_kwh"] == pytest.approx(3.0)
    assert v["state_unknown_kwh"] == pytest.approx(1.0) and v["state_running_kwh"] == 0
