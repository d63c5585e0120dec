"""Alert rules and lifecycle: hold time, hysteresis, dedup, ack, clear, persistence, device health."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from carbon_engine.results import WindowResult
from iiot_core import topics
from iiot_core.model import SCHEMA_VERSION, DeviceStatus
from tests.carbon_engine.helpers import ms, telemetry

PLANT = """
[site]
id = "plant1"
timezone = "Asia/Shanghai"
grid_region = "east"

[engine]
publish_delay_s = 0
idle_close_s = 600

[[meters]]
id = "grid"
device = "main-meter"
point = "import_energy"
role = "grid_import"
carrier = "electricity"

[[alerts]]
id = "power-high"
kind = "threshold"
node = "plant1"
point = "power_kw"
window = "1m"
above = 500
hysteresis = 50
hold_s = 120
severity = "critical"

[[alerts]]
id = "power-step"
kind = "rate_of_change"
node = ""
point = "power_kw"
max_change = 250

[[alerts]]
id = "stale"
kind = "stale"
device = "main-meter"
stale_s = 90

[[alerts]]
id = "offline"
kind = "offline"
message = "Device offline"
message_zh = "设备离线"

[[alerts]]
id = "budget"
kind = "budget"
point = "scope2_market_kg"
budget = 20
min_elapsed_s = 0
"""
T0 = ms("2024-03-01T02:00:00Z")


def _engine(tmp_path: Path, name: str = "state") -> Engine:
    f = tmp_path / "plant.toml"
    f.write_text(PLANT)
    return Engine.from_file(f, tmp_path / name)


def _load(e: Engine, minutes: list[float], start_minute: int = 0, counter: float = 0.0) -> float:
    """Feed one counter sample per minute with the given power per minute (kW); returns the counter."""
    alerts = []
    for i, kw in enumerate(minutes):
        m = start_minute + i
        e.ingest(telemetry("main-meter", T0 + m * 60_000, {"import_energy": counter}))
        alerts.append(e.advance(T0 + m * 60_000))
        counter += kw / 60
    e.ingest(telemetry("main-meter", T0 + (start_minute + len(minutes)) * 60_000, {"import_energy": counter}))
    e.advance(T0 + (start_minute + len(minutes)) * 60_000)
    return counter


def _states(e: Engine, rule: str) -> list[str]:
    return [a.state for a in e.alerts() if a.rule == rule]


def test_threshold_hold_time_and_hysteresis(tmp_path: Path) -> None:
    e = _engine(tmp_path)
    # Minute windows end at +1, +2, ...: above 500 kW from the start of minute 1 (+1).
    c = _load(e, [400, 600])
    assert _states(e, "power-high") == []  # held 60 s at +2
    c = _load(e, [600, 600], 2, c)
    assert _states(e, "power-high") == ["raised"]  # held 120 s at +3, the end of minute 2
    raised = next(a for a in e.alerts() if a.rule == "power-high")
    assert raised.severity == "critical" and abs((raised.value or 0) - 600) < 1e-6 and raised.node == "plant1"
    assert raised.raised_ts == T0 + 3 * 60_000
    c = _load(e, [480, 700], 4, c)  # inside the hysteresis band: stays raised, no duplicate
    assert _states(e, "power-high") == ["raised"]
    assert e.book.deduplicated >= 1
    _load(e, [440], 6, c)  # below 500 - 50: cleared
    assert _states(e, "power-high") == ["cleared"]


def test_ack_then_clear_is_published_and_persisted(tmp_path: Path) -> None:
    e = _engine(tmp_path)
    c = _load(e, [600, 600, 600, 600])
    aid = next(a.id for a in e.alerts() if a.rule == "power-high")
    acked = e.ack_alert(aid, "alice")
    assert acked is not None and acked.state == "acknowledged" and acked.acked_by == "alice"
    msgs = e.drain_alert_messages()
    assert [m.topic for m in msgs] == [topics.alert("plant1", aid)]
    assert json.loads(msgs[0].payload)["state"] == "acknowledged" and msgs[0].retain
    assert e.ack_alert("nope", "alice") is None
    # A restarted engine keeps the active (acknowledged) alert ...
    e.save_snapshot()
    e2 = _engine(tmp_path)
    assert [(a.id, a.state) for a in e2.alerts(state="acknowledged")] == [(aid, "acknowledged")]
    # ... and clears it when the condition goes away.
    _load(e2, [100, 100], 4, c)
    assert _states(e2, "power-high") == ["cleared"]
    cleared = [a for a in e2.alerts(state="cleared", node="plant1") if a.rule == "power-high"]
    assert cleared[0].acked_by == "alice"


def test_rate_of_change_and_budget(tmp_path: Path) -> None:
    e = _engine(tmp_path)
    out = []
    c = 0.0
    for i, kw in enumerate([100, 100, 400, 400]):
        e.ingest(telemetry("main-meter", T0 + i * 60_000, {"import_energy": c}))
        out += e.advance(T0 + i * 60_000)
        c += kw / 60
    e.ingest(telemetry("main-meter", T0 + 4 * 60_000, {"import_energy": c}))
    out += e.advance(T0 + 4 * 60_000)
    step = [a for a in e.alerts() if a.rule == "power-step"]
    assert step and step[0].message == "power_kw = 300" and step[0].state == "cleared"
    assert step[0].message_zh == "power_kw 当前值 300"  # raised at +3, cleared at +4
    alert_topics = {m.topic for m in out if "/_alerts/" in m.topic}
    assert topics.alert("plant1", step[0].id) in alert_topics
    # 16.7 kWh x 0.6096 = 10.16 kg by 10:04 local: 10.16 x 24 / 10.07 h = 24.2 kg > 20 kg budget.
    assert _states(e, "budget") == ["raised"]


def _minute(m: int, kw: float) -> WindowResult:
    start = T0 + m * 60_000
    return WindowResult("plant1", "1m", start, start + 60_000, 1, {"power_kw": kw}, ())


def test_rate_of_change_compares_only_adjacent_windows(tmp_path: Path) -> None:
    e = _engine(tmp_path)
    for m, kw in [(0, 100), (1, 100), (30, 400)]:  # 100 kW, then nothing for half an hour
        e.rules.on_results([_minute(m, kw)])
    assert _states(e, "power-step") == []  # 02:01 and 02:30 are not consecutive windows
    e.rules.on_results([_minute(31, 700)])  # 02:31 follows 02:30: +300 kW
    assert _states(e, "power-step") == ["raised"]
    e.save_snapshot()  # the window compared with survives a restart ...
    e2 = _engine(tmp_path)
    e2.rules.on_results([_minute(32, 700)])  # ... so 02:32 compares with 02:31: no change
    assert _states(e2, "power-step") == ["cleared"]
    e2.rules.on_results([_minute(40, 100)])  # 02:33..02:39 missing: not evaluated
    assert _states(e2, "power-step") == ["cleared"]


def test_stale_and_offline_devices(tmp_path: Path) -> None:
    e = _engine(tmp_path)
    e.ingest(telemetry("main-meter", T0, {"import_energy": 1.0}))
    e.advance(T0)
    e.advance(T0 + 60_000)
    assert _states(e, "stale") == []
    e.advance(T0 + 100_000)
    assert _states(e, "stale") == ["raised"]
    e.ingest(telemetry("main-meter", T0 + 101_000, {"import_energy": 2.0}))
    e.advance(T0 + 101_000)
    assert _states(e, "stale") == ["cleared"]

    down = DeviceStatus(schema=SCHEMA_VERSION, state="offline", ts=T0 + 101_500)  # after its last data
    e.status(topics.device_status("plant1", "utilities", "incomer", "main-meter"), down)
    e.status(topics.agent_status("plant1", "edge-1"), down)
    e.advance(T0 + 102_000)
    assert {a.node for a in e.alerts(state="raised") if a.rule == "offline"} == {"main-meter", "agent:edge-1"}
    assert {d.device: d.state for d in e.devices()}["agent:edge-1"] == "offline"
    # Both languages travel with the alert: the rule's own texts, else the built-in ones.
    offline = next(a for a in e.alerts(state="raised") if a.rule == "offline")
    assert (offline.message, offline.message_zh) == ("Device offline", "设备离线")
    assert {a.message_zh for a in e.alerts() if a.rule == "stale"} == {"main-meter 已 100 秒无数据"}
    up = DeviceStatus(schema=SCHEMA_VERSION, state="online", ts=T0)
    e.status(topics.agent_status("plant1", "edge-1"), up)
    e.advance(T0 + 103_000)
    assert [a.node for a in e.alerts(state="raised") if a.rule == "offline"] == ["main-meter"]


def test_fresh_telemetry_outweighs_an_offline_status(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    e = _engine(tmp_path)
    meter = topics.device_status("plant1", "utilities", "incomer", "main-meter")
    state = lambda: {d.device: d.state for d in e.devices()}["main-meter"]  # noqa: E731
    e.ingest(telemetry("main-meter", T0, {"import_energy": 1.0}))
    # A forged (or stale) retained offline status older than the data: counted online, and logged.
    e.status(meter, DeviceStatus(schema=SCHEMA_VERSION, state="offline", ts=T0 - 5_000))
    assert state() == "online"
    assert "its status says offline" in caplog.text and "main-meter" in caplog.text
    # A real offline status, newer than the data, holds until telemetry newer than it comes.
    e.status(meter, DeviceStatus(schema=SCHEMA_VERSION, state="offline", ts=T0 + 1_000))
    assert state() == "offline"
    e.ingest(telemetry("main-meter", T0 + 500, {"import_energy": 1.1}))  # a late sample: no evidence
    assert state() == "offline"
    e.ingest(telemetry("main-meter", T0 + 2_000, {"import_energy": 1.2}))
    assert state() == "online"
