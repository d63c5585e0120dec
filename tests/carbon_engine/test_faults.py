"""Readings the engine does not book as measured leave a trace: counts per meter, a rate-limited log
line, and ``/metrics`` (the ``EngineCollector`` rendered by prometheus_client)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from carbon_engine.api.metrics import EngineCollector
from carbon_engine.engine import Engine
from carbon_engine.faults import LOG_EVERY_S, FaultBook
from tests.carbon_engine.helpers import feed, ms

PLANT = Path(__file__).parent / "golden" / "counter_outage" / "plant.toml"  # grid counter, max_rate 3000
FORGED = 1e12


class Clock:
    """A monotonic clock the test moves by hand (the log throttle's time)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _engine(clock: Clock) -> Engine:
    engine = Engine.from_file(PLANT)
    engine.core.meters.faults = FaultBook(engine.topo, clock=clock)
    return engine


def _line(ts: str, kwh: float, device: str = "main-meter") -> dict[str, object]:
    return {"ts": f"2024-03-01T{ts}Z", "device": device, "points": {"import_energy": kwh}}


def _play(engine: Engine, lines: list[dict[str, object]]) -> None:
    """Feed and process now (the core buffers samples until a tick or a flush)."""
    feed(engine, lines, flush=False)
    engine.flush()


def _lines(caplog: pytest.LogCaptureFixture, word: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "carbon_engine.faults" and word in r.getMessage()
    ]


def _metrics(engine: Engine) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector(engine))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_forged_reading_is_counted_logged_once_an_hour_and_exported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="carbon_engine.faults")
    clock = Clock()
    engine = _engine(clock)
    # The forged reading is held as suspect; the real one after it goes on from 1001 kWh, so
    # the forged one was a spike: dropped, one log line; the real one is booked.
    _play(engine, [_line("02:00:00", 1000), _line("02:00:30", 1001), _line("02:00:45", FORGED)])
    assert engine.core.meters.held  # held until the next reading decides
    _play(engine, [_line("02:01:00", 1002), _line("02:01:30", 1003)])
    st = engine.engine_status(0)
    assert st.readings_dropped == {("grid", "spike"): 1}
    [first] = _lines(caplog, "not booked")
    for part in ("meter grid", "1e+12", "2024-03-01T02:00:45.000+00:00", "max_rate 3000"):
        assert part in first, (part, first)
    clock.now += LOG_EVERY_S
    _play(engine, [_line("02:02:00", FORGED), _line("02:02:30", 1004)])
    _play(engine, [_line("02:02:40", FORGED), _line("02:03:00", 1005)])
    later = _lines(caplog, "not booked")
    assert len(later) == 2, later
    clock.now += LOG_EVERY_S
    _play(engine, [_line("02:03:10", FORGED), _line("02:03:30", 1006)])
    later = _lines(caplog, "not booked")
    assert len(later) == 3 and "1 more since the last" in later[2], later
    got = _metrics(engine)
    assert got[("zcf_engine_readings_dropped_total", (("meter", "grid"), ("reason", "spike")))] == 4
    engine.advance(ms("2024-03-01T02:03:30Z"))
    engine.advance(ms("2024-03-03T00:00:00Z"))  # idle since: every window due
    total = sum(r.values["energy_kwh"] for r in engine.results("plant1", "1m"))
    assert total == pytest.approx(1006 - 1000)  # every real kWh, none of the forged ones


def test_labels_name_only_meters_of_the_plant(caplog: pytest.LogCaptureFixture) -> None:
    engine = _engine(Clock())
    lines = [_line("02:00:00", 1000), _line("02:00:30", FORGED), _line("02:00:45", 1001)]
    lines += [_line(f"02:00:{s:02d}", FORGED * s, device=f"forged-{s}") for s in range(10)]
    _play(engine, lines)
    meters = {
        dict(labels).get("meter") for (name, labels), _ in _metrics(engine).items() if "readings" in name
    }
    assert meters == {"grid"}
    assert engine.stats["unrouted"] == 10


def test_a_counter_outage_is_a_counted_logged_estimated_gap(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="carbon_engine.faults")
    engine = _engine(Clock())
    # 90 s without a reading (max_gap_s = 60): the 3 kWh across it are booked as estimated.
    feed(engine, [_line("02:00:00", 1000), _line("02:01:00", 1002), _line("02:02:30", 1005)])
    [line] = _lines(caplog, "gap")
    assert "meter grid: gap of 90 s" in line and "booked as estimated 3" in line, line
    got = _metrics(engine)
    assert got[("zcf_engine_gaps_total", (("meter", "grid"),))] == 1
    assert got[("zcf_engine_gap_seconds_total", (("meter", "grid"),))] == 90
    minute = next(
        r
        for r in engine.results("plant1", "1m")
        if r.values.get("energy_kwh") == pytest.approx(2.0) and r.values["estimated_share"] == 1.0
    )
    assert minute.estimated


def test_a_held_reading_its_limit_and_coverage_are_in_the_metrics() -> None:
    engine = _engine(Clock())
    lines = [_line(f"02:0{m}:{s:02d}", 1000 + m * 2 + s // 30) for m in range(3) for s in (0, 30)]
    feed(engine, lines, flush=False)
    engine.advance(ms("2024-03-01T02:02:40Z"))
    _play(engine, [_line("02:02:45", FORGED)])
    got = _metrics(engine)
    assert got[("zcf_engine_readings_held", (("meter", "grid"),))] == 1
    assert got[("zcf_engine_plausibility_limit_per_hour", (("meter", "grid"),))] == 3000  # max_rate
    engine.advance(ms("2024-03-01T02:30:00Z"))  # the forged reading arrived now
    engine.advance(ms("2024-03-01T03:00:00Z"))  # idle since: the 15-min window is due
    got = _metrics(engine)
    assert got[("zcf_engine_meter_coverage", (("meter", "grid"),))] == pytest.approx(150 / 900)
    assert [a.rule for a in engine.book.list()] == ["data_coverage"]  # nothing dropped yet


def test_a_standby_sends_no_dead_letters() -> None:
    engine = _engine(Clock())
    engine.step_down()
    lines = [_line("02:00:00", 1000), _line("02:00:30", FORGED), _line("02:01:00", 1002)]
    out = feed(engine, lines)
    assert engine.engine_status(0).readings_dropped == {("grid", "spike"): 1}
    assert not [m for m in out if "_deadletter" in m.topic]
