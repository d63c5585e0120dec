"""Helpers for ingest tests: an in-process service, a publisher and polling."""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import paho.mqtt.client as paho

from iiot_core import codec, topics
from iiot_core.model import Telemetry
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from ingest_service.config import IngestSettings
from ingest_service.service import IngestService
from tests.support.samples import make_msg, now_ms


def settings(broker_url: str, store_url: str, tmp: Path, **kw: object) -> IngestSettings:
    base: dict[str, object] = {
        "mqtt": MqttConfig(url=broker_url, reconnect_min_s=0.2, reconnect_max_s=1),
        "store_url": store_url,
        "data_dir": tmp,
        "http_port": 0,
        "batch_max_age_s": 0.05,
        "retry_min_s": 0.05,
        "retry_max_s": 0.5,
        "status_interval_s": 1.0,
    }
    base.update(kw)
    return IngestSettings.model_validate(base)


@contextlib.asynccontextmanager
async def running(cfg: IngestSettings, svc: IngestService | None = None) -> AsyncIterator[IngestService]:
    """An IngestService (``svc``, or a plain one for ``cfg``) running in a task of the current loop."""
    svc = svc or IngestService(cfg)
    task = asyncio.create_task(svc.run())
    try:
        await svc.wait_ready(10)
        await asyncio.sleep(0.2)  # subscriptions granted
        yield svc
    finally:
        svc.stop()
        await asyncio.wait_for(task, 15)


@contextlib.asynccontextmanager
async def publisher(broker_url: str, client_id: str = "test-pub") -> AsyncIterator[MqttConnection]:
    conn = MqttConnection(MqttConfig(url=broker_url, reconnect_max_s=1), client_id)
    await conn.start(wait_s=5)
    try:
        yield conn
    finally:
        await conn.stop()


def deadletter_watcher(broker_url: str, into: list[paho.MQTTMessage]) -> MqttConnection:
    """A connection (not started) that appends every dead letter it receives to ``into``."""
    return MqttConnection(
        MqttConfig(url=broker_url),
        "dl-watch",
        subscriptions=[Subscription(f"{topics.ROOT}/+/_deadletter/#")],
        on_message=into.append,
    )


def topic_of(msg: Telemetry) -> str:
    return topics.telemetry(msg.site, msg.area, msg.line, msg.device)


async def publish_msgs(conn: MqttConnection, msgs: list[Telemetry]) -> None:
    await asyncio.wait_for(asyncio.gather(*(conn.publish(topic_of(m), codec.encode(m)) for m in msgs)), 20)


def stream(devices: int, count: int, points: int = 3, t0: int | None = None) -> list[Telemetry]:
    """``count`` polls of ``devices`` devices, seq 1..count, one second apart."""
    start = (t0 or now_ms() - 3_600_000) // 1000 * 1000
    return [
        make_msg(f"m{d}", i, start + i * 1000, {f"p{k}": i + k / 10 for k in range(points)})
        for i in range(1, count + 1)
        for d in range(devices)
    ]


async def wait_for(cond: Callable[[], bool], timeout_s: float = 10, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await asyncio.sleep(0.05)


async def http_get(url: str) -> bytes:
    """GET without blocking the loop that serves it (non-2xx answers are returned too)."""

    def get() -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return bytes(resp.read())
        except urllib.error.HTTPError as exc:
            return bytes(exc.read())

    return await asyncio.to_thread(get)
