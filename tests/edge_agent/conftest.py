"""Fixtures for the edge agent: the example config pointed at an in-process plant and broker."""

from __future__ import annotations

import asyncio
import contextlib
import tomllib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from edge_agent.agent import Agent
from edge_agent.config import EdgeConfig
from iiot_core import codec, topics
from iiot_core.model import DeviceStatus, Telemetry
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "edge.toml"


def example_dict() -> dict[str, Any]:
    with EXAMPLE.open("rb") as fh:
        return tomllib.load(fh)


def config_for(
    plant: Any,
    broker_url: str,
    tmp_path: Path,
    *,
    only: set[str] | None = None,
    poll_s: float = 0.2,
    device_overrides: dict[str, dict[str, Any]] | None = None,
    **agent: Any,
) -> EdgeConfig:
    """The example config with the plant's free ports, a temp buffer and fast polling."""
    data = example_dict()
    devices = []
    for dev in data["devices"]:
        if only is not None and dev["name"] not in only:
            continue
        if dev["kind"] == "opcua":
            dev["endpoint"] = plant.opcua_endpoint(dev["name"])
            dev["cert_dir"] = str(tmp_path / "pki")
        else:
            host, port, unit, _framer = plant.modbus_endpoint(dev["name"])
            dev.update(host=host, port=port, unit_id=unit)
        dev["poll_interval_s"] = poll_s
        dev.update((device_overrides or {}).get(dev["name"], {}))
        devices.append(dev)
    data["devices"] = devices
    data["mqtt"] = {"url": broker_url, "reconnect_max_s": 1, "keepalive_s": 5}
    data["buffer"]["path"] = str(tmp_path / "buffer.sqlite")
    data["agent"].update({"status_interval_s": 2, "backoff_max_s": 1, **agent})
    return EdgeConfig.model_validate(data)


class Collector:
    """Subscribes to every zcf topic and keeps decoded telemetry and status per device."""

    def __init__(self, url: str) -> None:
        self.telemetry: dict[str, list[Telemetry]] = defaultdict(list)
        self.status: dict[str, list[DeviceStatus]] = defaultdict(list)
        self.conn = MqttConnection(
            MqttConfig(url=url, reconnect_max_s=1),
            "test-collector",
            subscriptions=[Subscription(f"{topics.ROOT}/#")],
            on_message=self._on_message,
        )

    def _on_message(self, msg: paho.MQTTMessage) -> None:
        if msg.topic.endswith("/telemetry"):
            t = codec.decode_telemetry(msg.payload)
            self.telemetry[t.device].append(t)
        elif msg.topic.endswith("/status") and msg.payload:
            parsed = topics.parse_device_topic(msg.topic)
            name = parsed.device if parsed else (topics.parse_agent_status(msg.topic) or ("", "?"))[1]
            self.status[name].append(codec.decode_status(msg.payload))

    def seqs(self, device: str) -> list[int]:
        return sorted({t.seq for t in self.telemetry[device]})

    async def wait_for(self, cond: Callable[[], bool], timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not cond():
                await asyncio.sleep(0.05)


@pytest.fixture
async def collector(broker: Any) -> AsyncIterator[Collector]:
    c = Collector(broker.url)
    await c.conn.start(wait_s=5)
    await asyncio.sleep(0.1)
    yield c
    await c.conn.stop()


@pytest.fixture
async def durable(broker: Any) -> AsyncIterator[Collector]:
    """A collector with a persistent session: the broker queues for it while it is away."""
    c = Collector(broker.url)
    c.conn._persistent = True
    c.conn._session_expiry_s = 600
    await c.conn.start(wait_s=5)
    await asyncio.sleep(0.1)
    yield c
    await c.conn.stop()


@contextlib.asynccontextmanager
async def running(cfg: EdgeConfig) -> AsyncIterator[Agent]:
    """An agent running in a task; stopped cleanly on exit."""
    agent = Agent(cfg)
    task = asyncio.create_task(agent.run())
    await agent.wait_started()
    try:
        yield agent
    finally:
        agent.stop()
        async with asyncio.timeout(10):
            await task
