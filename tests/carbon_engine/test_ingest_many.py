"""``Engine.ingest_many`` in any chunking gives exactly what the per-message oracle gives."""

from __future__ import annotations

import json
import random
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbon_engine.core
import carbon_engine.service
from carbon_engine.config import load_plant
from carbon_engine.engine import Engine
from carbon_engine.factors import load_library
from carbon_engine.service import EngineService
from iiot_core import topics
from iiot_core.codec import encode
from iiot_core.model import SCHEMA_VERSION, DeviceStatus, Point, Quality, Telemetry
from iiot_core.mqtt_config import MqttConfig
from tests.carbon_engine.helpers import DAY_MS, ms
from tests.carbon_engine.oracle import ingest_one

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"
T0 = ms("2026-03-02T01:00:00Z")
_PLANT = load_plant(EXAMPLE)
_LIB = load_library(_PLANT.site.timezone, None, _PLANT.site.grid_region)

DEVICES = {
    "main-meter": ["import_energy"],
    "pv-inverter": ["pv_energy"],
    "line1-meter": ["import_energy"],
    "line2-meter": ["import_energy"],
    "line1-plc": ["gas_total", "steam_total", "production_count", "not_a_point", "line_state"],
    "line2-plc": ["gas_total", "steam_total", "production_count", "line_state"],
    "stranger": ["import_energy"],  # a device the plant does not know
}
QUALITIES = [Quality.GOOD] * 12 + [Quality.ESTIMATED, Quality.STALE, Quality.BAD]

Op = tuple[str, object]  # ("msg", Telemetry), ("status", (topic, DeviceStatus)) or ("advance", now_ms)


def _stream(seed: int, n: int = 400) -> list[Op]:
    """Messages with jitter, late and replayed samples, odd qualities, unknown points and sites."""
    rnd = random.Random(seed)
    counters: dict[tuple[str, str], float] = {}
    sent: list[Telemetry] = []
    ops: list[Op] = []
    t = T0
    for i in range(n):
        t += rnd.choice([0, 200, 1000, 5000, 30_000, 70_000])
        if sent and rnd.random() < 0.08:
            ops.append(("msg", rnd.choice(sent)))  # a replay
        else:
            dev = rnd.choice(list(DEVICES))
            late = rnd.random() < 0.1
            ts = t - rnd.randint(1, 240_000) if late else t + rnd.randint(0, 900)
            names = rnd.sample(DEVICES[dev], rnd.randint(0, len(DEVICES[dev])))
            points = []
            for name in names:
                v = counters.get((dev, name), 1000.0) + rnd.uniform(0, 5)
                counters[(dev, name)] = v
                points.append(Point(name=name, value=v, ts=ts, quality=rnd.choice(QUALITIES)))
            site = "elsewhere" if rnd.random() < 0.05 else "plant1"
            line = "l2" if rnd.random() < 0.05 else "l"  # a device moved to another line
            msg = Telemetry(SCHEMA_VERSION, site, "a", line, dev, i, ts, points)
            sent.append(msg)
            ops.append(("msg", msg))
        if rnd.random() < 0.03:  # a device goes offline or back online, maybe on another line
            dev, line = rnd.choice(list(DEVICES)), rnd.choice(["l", "l2"])
            st = DeviceStatus(SCHEMA_VERSION, rnd.choice(["online", "offline"]), t, last_seen=t - 500)
            ops.append(("status", (topics.device_status("plant1", "a", line, dev), st)))
        if rnd.random() < 0.05:
            ops.append(("advance", t))
    ops.append(("advance", t + 2 * DAY_MS))
    return ops


def _state(e: Engine) -> str:
    data = e.to_state()
    data["results"] = sorted(
        (r.node, r.size, r.start, r.revision, sorted(r.values.items()), r.factor_versions)
        for r in e.results()
    )
    return json.dumps(data, sort_keys=True, default=str)


def _one_by_one(ops: list[Op], now: int | None) -> tuple[Engine, list[object]]:
    e, out = Engine(_PLANT, _LIB), []
    for kind, x in ops:
        if kind == "msg":
            ingest_one(e, x, now)  # type: ignore[arg-type]
        elif kind == "status":
            e.status(*x)  # type: ignore[misc]
        else:
            out += e.advance(x)  # type: ignore[arg-type]
    return e, out


def _chunked(ops: list[Op], now: int | None, rnd: random.Random) -> tuple[Engine, list[object]]:
    e, out, batch = Engine(_PLANT, _LIB), [], []  # type: ignore[var-annotated]
    for kind, x in ops:
        if kind == "msg":
            batch.append(x)
            if rnd.random() < 0.2:
                e.ingest_many(batch, now)
                batch = []
        elif kind == "status":
            e.ingest_many(batch, now)
            batch = []
            e.status(*x)  # type: ignore[misc]
        else:
            if batch and rnd.random() < 0.3:
                e.ingest(batch.pop(0), now)  # mixed with the single-message path
            e.ingest_many(batch, now)
            batch = []
            out += e.advance(x)  # type: ignore[arg-type]
    return e, out


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("now", [None, T0])
def test_chunked_batches_equal_one_by_one(seed: int, now: int | None) -> None:
    ops = _stream(seed)
    a, out_a = _one_by_one(ops, now)
    b, out_b = _chunked(ops, now, random.Random(seed))
    assert out_a == out_b
    assert _state(a) == _state(b)
    assert a.devices() == b.devices()
    assert a.stats["unrouted"] > 0 and a.stats["bad_quality"] > 0 and a.stats["other_site"] > 0


@pytest.mark.parametrize("seed", range(4))
def test_buffer_overflow_flushes_at_the_same_messages(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(carbon_engine.core, "MAX_BUFFER", 7)
    ops = _stream(seed, 200)
    a, out_a = _one_by_one(ops, None)
    b, out_b = _chunked(ops, None, random.Random(seed))
    assert out_a == out_b
    assert _state(a) == _state(b)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.lists(st.integers(1, 60), min_size=1, max_size=20))
def test_any_chunking_equals_one_by_one(seed: int, sizes: list[int]) -> None:
    ops = _stream(seed, 150)
    a, out_a = _one_by_one(ops, None)
    b, out_b, batch, k = Engine(_PLANT, _LIB), [], [], 0  # type: ignore[var-annotated]
    for kind, x in ops:
        if kind != "msg":
            b.ingest_many(batch)
            batch = []
            if kind == "status":
                b.status(*x)  # type: ignore[misc]
            else:
                out_b += b.advance(x)  # type: ignore[arg-type]
            continue
        batch.append(x)
        if len(batch) >= sizes[k % len(sizes)]:
            b.ingest_many(batch)
            batch, k = [], k + 1
    assert out_a == out_b
    assert _state(a) == _state(b)


async def test_service_collects_between_ticks_and_feeds_early_when_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(carbon_engine.service, "INBOX_MAX", 4)
    engine = Engine(_PLANT, _LIB)
    service = EngineService(engine, MqttConfig(url="mqtt://127.0.0.1:1"))

    def deliver(topic: str, payload: bytes) -> None:
        msg = paho.MQTTMessage(topic=topic.encode())
        msg.payload = payload
        service._on_message(msg)

    tele = topics.telemetry("plant1", "a", "l", "main-meter")
    for i in range(6):
        m = Telemetry(SCHEMA_VERSION, "plant1", "a", "l", "main-meter", i, T0 + i * 1000, [])
        deliver(tele, encode(m))
    assert len(service.inbox) == 2 and engine.tracker.info["main-meter"].last_seen == T0 + 3000
    down = topics.agent_status("plant1", "edge-1")
    deliver(down, encode(DeviceStatus(SCHEMA_VERSION, "offline", T0)))
    assert not service.inbox and engine.tracker.info["main-meter"].last_seen == T0 + 5000
    assert engine.tracker.info["agent:edge-1"].state == "offline"
