"""End to end with a real Mosquitto: telemetry in, results and alerts out on their topics."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as paho
import pytest

from carbon_engine.api.auth import Role, TokenFile
from carbon_engine.engine import Engine
from carbon_engine.service import EngineService
from iiot_core import topics
from iiot_core.clock import now_ms
from iiot_core.codec import encode
from iiot_core.model import SCHEMA_VERSION, DeviceStatus, Telemetry
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from tests.carbon_engine.helpers import telemetry
from tests.support.servers import Mosquitto, free_port, wait_port

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"
ROOT = Path(__file__).parents[2]


def _messages(start: int, seconds: int) -> list[Telemetry]:
    """Ten seconds apart: 500 kW grid, 300 kW line1, 100 kW line2, 60 kW PV, gas, steam, units."""
    out = []
    for s in range(0, seconds, 10):
        t, h = start + s * 1000, s / 3600
        out += [
            telemetry("main-meter", t, {"import_energy": 1000 + 500 * h, "active_power": 500}),
            telemetry("line1-meter", t, {"import_energy": 100 + 300 * h}),
            telemetry("line2-meter", t, {"import_energy": 100 + 100 * h}),
            telemetry("pv-inverter", t, {"pv_energy": 50 + 60 * h}),
            telemetry(
                "line1-plc",
                t,
                {"gas_total": 10 + 36 * h, "steam_total": 1 + 0.36 * h, "production_count": s // 10},
            ),
        ]
    return out


class _Collector:
    def __init__(self) -> None:
        self.results: dict[str, list[Telemetry]] = {}
        self.alerts: dict[str, dict[str, object]] = {}

    def __call__(self, msg: paho.MQTTMessage) -> None:
        if msg.topic.endswith("/result"):
            from iiot_core.codec import decode_telemetry

            self.results.setdefault(msg.topic, []).append(decode_telemetry(msg.payload))
        elif "/_alerts/" in msg.topic and msg.payload:
            self.alerts[msg.topic] = json.loads(msg.payload)


async def _publish_all(pub: MqttConnection, msgs: list[Telemetry]) -> None:
    futs = [pub.publish(topics.telemetry(m.site, "x", "y", m.device), encode(m)) for m in msgs]
    await asyncio.wait_for(asyncio.gather(*futs), 10)


async def _wait(cond: object, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_engine_service_publishes_results_and_alerts(broker: Mosquitto, tmp_path: Path) -> None:
    cfg = MqttConfig(url=broker.url)
    got = _Collector()
    sub = MqttConnection(
        cfg,
        "t-watch",
        subscriptions=[Subscription(topics.RESULT_FILTER), Subscription(topics.ALERT_FILTER)],
        on_message=got,
    )
    pub = MqttConnection(cfg, "t-pub")
    await sub.start(wait_s=5)
    await pub.start(wait_s=5)
    engine = Engine.from_file(EXAMPLE, tmp_path / "engine")
    service = EngineService(engine, cfg, tick_s=0.05)
    task = asyncio.create_task(service.run())
    try:
        await service.conn.wait_connected(5)
        start = (now_ms() // 60_000 - 4) * 60_000
        await _publish_all(pub, _messages(start, 200))
        # Results go out on the series' own topic (the payload's device names the series).
        site = topics.result("plant1", topics.ALL, topics.ALL, "carbon-1m")
        meter = topics.result("plant1", "assembly", "line1", "carbon-1m.line1-elec")
        await _wait(
            lambda: any(m.device == "carbon-1m" for m in got.results.get(site, [])) and meter in got.results
        )
        first = next(m for m in got.results[site] if m.device == "carbon-1m" and m.ts == start)
        values = {p.name: p.value for p in first.points}
        # 500 kW grid + 60 kW PV = 560 kW: 9.333 kWh of electricity in the minute.
        assert abs(values["electricity_kwh"] - 560 / 60) < 1e-6
        assert 0.3 < values["intensity_location_kg_per_kwh"] < 0.6
        assert values["scope2_market_kg"] < values["scope2_location_kg"]
        line1 = topics.result("plant1", "assembly", "line1", "carbon-1m")
        assert line1 in got.results
        assert got.results[meter][0].device == "carbon-1m.line1-elec"

        down = DeviceStatus(schema=SCHEMA_VERSION, state="offline", ts=now_ms())
        await pub.publish(topics.agent_status("plant1", "edge-1"), encode(down), retain=True)
        alert_topic = topics.alert("plant1", "device-offline.agent.edge-1")
        await _wait(lambda: alert_topic in got.alerts)
        assert got.alerts[alert_topic]["state"] == "raised"
        assert got.alerts[alert_topic]["severity"] == "critical"
        engine.ack_alert("device-offline.agent.edge-1", "op")
        await _wait(lambda: got.alerts[alert_topic]["state"] == "acknowledged")
    finally:
        service.stop()
        await asyncio.wait_for(task, 10)
        await pub.stop()
        await sub.stop()
    assert (tmp_path / "engine" / "engine-state.json").exists()
    assert (tmp_path / "engine" / "alerts.json").exists()


async def test_cli_serves_engine_and_api(broker: Mosquitto, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ZCF_MQTT_URL": broker.url, "PYTHONPATH": str(ROOT)}
    args = ["-m", "carbon_engine.cli", "--plant", str(EXAMPLE), "--data-dir", str(tmp_path)]
    # A viewer token in the tokens file the engine reads by default (DATA_DIR/api-tokens).
    viewer, _ = TokenFile(tmp_path / "api-tokens").add(Role.viewer)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, "--http-port", str(port), cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    pub = MqttConnection(MqttConfig(url=broker.url), "t-pub2")
    try:
        await asyncio.to_thread(wait_port, port, 15.0)
        await pub.start(wait_s=5)
        await asyncio.sleep(0.5)  # the engine subscribes after connecting
        await _publish_all(pub, _messages((now_ms() // 60_000 - 3) * 60_000, 150))
        headers = {"Authorization": f"Bearer {viewer}"}
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=5, headers=headers) as client:
            tree = (await client.get("/api/v1/tree")).json()
            assert "plant1/assembly/line1" in json.dumps(tree)
            site_today = 0.0
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and site_today <= 0:
                live = (await client.get("/api/v1/live")).json()
                items = live if isinstance(live, list) else live.get("nodes", live.get("items", []))
                site_today = next((n["energy_today_kwh"] for n in items if n.get("path") == "plant1"), 0.0)
                await asyncio.sleep(0.2)
            assert site_today > 0, live
    finally:
        await pub.stop()
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert (tmp_path / "engine" / "engine-state.json").exists()


async def test_simulated_plant_through_edge_agent_to_engine(broker: Mosquitto, tmp_path: Path) -> None:
    """The whole chain: simulators -> edge agent -> Mosquitto -> engine; live power matches the plant."""
    from simulators.plant import PlantSpec, run_plant
    from tests.support.edge import config_for, running

    engine = Engine.from_file(EXAMPLE, tmp_path / "engine")
    service = EngineService(engine, MqttConfig(url=broker.url), tick_s=0.1)
    task = asyncio.create_task(service.run())
    try:
        # A fixed mid-shift, daylight scenario time: the lines run and burn gas whatever the hour.
        start = datetime(2025, 6, 2, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        async with run_plant(PlantSpec.example(), ports="free", speed=1, seed=3, start=start) as plant:
            cfg = config_for(plant, broker.url, tmp_path, poll_s=0.5)
            async with running(cfg):
                await _wait(lambda: engine.max_ts > 0 and engine.max_ts - engine.core.min_ts > 6000, 30)
                site = next(v for v in engine.live() if v.path == "plant1")
                expected = plant.truth("main-meter", "active_power") + plant.truth("pv-inverter", "pv_power")
                devices = {d.device: d.state for d in engine.devices()}
            assert devices["main-meter"] == "online" and devices["line2-plc"] == "online"
            # A clean stop of the agent marks its devices offline (retained status).
            await _wait(lambda: {d.device: d.state for d in engine.devices()}["main-meter"] == "offline", 10)
        assert site.power_kw == pytest.approx(expected, rel=0.1)
        assert site.energy_today_kwh > 0 and site.scope1_today_kg > 0  # gas from the PLCs
        assert 0 < site.intensity_location_kg_per_kwh < 1.0
    finally:
        service.stop()
        await asyncio.wait_for(task, 10)
