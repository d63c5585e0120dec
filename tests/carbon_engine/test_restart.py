"""Restart safety: snapshot in the middle of a window, new Engine, continue: same totals."""

from __future__ import annotations

import math
from pathlib import Path

from carbon_engine.engine import Engine
from iiot_core.model import Telemetry
from tests.carbon_engine.helpers import DAY_MS, ms, telemetry

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"
T0 = ms("2026-03-02T05:58:00Z")  # 13:58 local: the shift change at 14:00 falls inside


def _stream(n: int) -> list[tuple[int, str, dict[str, float]]]:
    out = []
    for s in range(n):
        t = T0 + s * 5000
        h = s * 5 / 3600
        units = float(s // 3) if s < 24 else float((s - 24) // 3)  # counter reset at 14:00 local
        out += [
            (t, "main-meter", {"import_energy": 5000 + 600 * h + 7 * math.sin(s / 9)}),
            (t, "line1-meter", {"import_energy": 900 + 320 * h}),
            (t, "line2-meter", {"import_energy": 4294967.0 + 210 * h}),  # wraps on the way
            (t, "pv-inverter", {"pv_energy": 300 + 120 * h}),
            (
                t,
                "line1-plc",
                {"gas_total": 100 + 40 * h, "steam_total": 3 + 0.5 * h, "production_count": units},
            ),
        ]
    return out


def _feed(e: Engine, lines: list[tuple[int, str, dict[str, float]]]) -> None:
    for i, (t, dev, pts) in enumerate(lines):
        e.ingest(telemetry(dev, t, pts, seq=i))
        if i % 10 == 9:
            e.advance(t)


def _finish(e: Engine, last: int) -> dict[tuple[str, str, int], dict[str, float]]:
    e.advance(last)
    e.advance(last + 2 * DAY_MS)
    return {(r.node, r.size, r.start): r.values for r in e.results()}


def test_restart_mid_window_neither_loses_nor_double_counts(tmp_path: Path) -> None:
    lines = _stream(120)  # 10 minutes
    cut = 5 * 47 + 2  # mid-minute, mid-message group
    whole = _finish(_run(lines, None), lines[-1][0])

    first = Engine.from_file(EXAMPLE, tmp_path / "state")
    _feed(first, lines[:cut])
    first.save_snapshot()
    second = Engine.from_file(EXAMPLE, tmp_path / "state")
    assert second.core.windows.watermark == first.core.windows.watermark
    # The broker redelivers what the first engine had seen but not acknowledged: replays.
    _feed(second, lines[cut - 15 :])
    resumed = _finish(second, lines[-1][0])
    # The first engine published the early windows; the resumed one publishes the rest.
    assert second.core.meters.replayed + second.core.meters.late_ignored >= 15
    for key, values in whole.items():
        got = resumed.get(key) or {}
        early = {(r.node, r.size, r.start): r.values for r in first.results()}.get(key)
        source = got if got else early
        assert source is not None, key
        for point in ("energy_kwh", "scope1_kg", "scope2_market_kg", "units", "generation_kwh"):
            assert abs(source.get(point, 0) - values.get(point, 0)) <= 1e-6 * max(
                1, abs(values.get(point, 0))
            ), (
                key,
                point,
            )
    day = [k for k in whole if k[0] == "plant1" and k[1] == "1d"]
    assert day and resumed[day[0]]["energy_kwh"] > 0


def _run(lines: list[tuple[int, str, dict[str, float]]], data: Path | None) -> Engine:
    e = Engine.from_file(EXAMPLE, data)
    _feed(e, lines)
    return e


def test_snapshot_of_changed_plant_is_ignored(tmp_path: Path) -> None:
    e = Engine.from_file(EXAMPLE, tmp_path / "state")
    _feed(e, _stream(10))
    e.save_snapshot()
    changed = tmp_path / "plant.toml"
    changed.write_text(EXAMPLE.read_text().replace('id = "line2-output"', 'id = "line2-units"'))
    fresh = Engine.from_file(changed, tmp_path / "state")
    assert fresh.max_ts == -1 and not fresh.core.windows.open["1m"]


DEVICES = ("main-meter", "line1-meter", "line2-meter", "pv-inverter", "line1-plc", "line2-plc")


def _steady(t: int) -> list[Telemetry]:
    """Every device of the example plant, one message each, counters rising with event time."""
    h = (t - T0) / 3_600_000
    points = {
        "main-meter": {"import_energy": 5000 + 600 * h},
        "line1-meter": {"import_energy": 900 + 320 * h},
        "line2-meter": {"import_energy": 700 + 210 * h},
        "pv-inverter": {"pv_energy": 300 + 120 * h},
        "line1-plc": {"gas_total": 100 + 40 * h, "production_count": float(int(60 * h))},
        "line2-plc": {"gas_total": 50 + 30 * h},
    }
    return [telemetry(d, t, points[d]) for d in DEVICES]


def _live(e: Engine, start: int, stop: int, step: int = 30_000) -> None:
    """Samples arriving as they are taken: the engine clock is the event time."""
    for t in range(start, stop + 1, step):
        e.ingest_many(_steady(t))
        e.advance(t)


def test_downtime_is_neither_idleness_nor_staleness(tmp_path: Path) -> None:
    t1 = T0 + 30 * 60_000  # the engine stops here for two hours; the broker keeps the telemetry
    back = t1 + 2 * 3_600_000
    end = back + 10 * 60_000
    whole = Engine.from_file(EXAMPLE)
    _live(whole, T0, end)
    expected = _finish(whole, end)

    first = Engine.from_file(EXAMPLE, tmp_path / "state")
    _live(first, T0, t1)
    before = {a.id for a in first.alerts() if a.state != "cleared"}
    first.save_snapshot()
    second = Engine.from_file(EXAMPLE, tmp_path / "state")
    second.advance(back)  # the first tick comes before the broker's backlog
    # Two hours without messages were downtime: no device is stale, no window is closed.
    assert {a.id for a in second.alerts() if a.state != "cleared"} == before
    assert second.core.windows.watermark == first.core.windows.watermark
    second.ingest_many([m for t in range(t1 + 30_000, back + 1, 30_000) for m in _steady(t)])
    _live(second, back + 30_000, end)
    resumed = _finish(second, end)
    assert sum(second.core.windows.dropped.values()) == 0
    early = {(r.node, r.size, r.start): r.values for r in first.results()}
    minutes = [k for k in expected if k[0] == "plant1" and k[1] == "1m"]
    assert len(minutes) == (end - T0) // 60_000
    for key in minutes:
        got = resumed.get(key) or early[key]
        assert abs(got["energy_kwh"] - expected[key]["energy_kwh"]) <= 1e-6, key
