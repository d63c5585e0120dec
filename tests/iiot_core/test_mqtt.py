from __future__ import annotations

import asyncio

import pytest

from iiot_core.errors import PublishError
from iiot_core.mqtt import MqttConnection, Subscription, Will
from iiot_core.mqtt_config import MqttConfig
from tests.servers import Mosquitto


async def test_publish_is_acked_and_received(broker: Mosquitto) -> None:
    got: list[bytes] = []
    sub = MqttConnection(
        MqttConfig(url=broker.url),
        "t-sub",
        subscriptions=[Subscription("t/#")],
        on_message=lambda m: got.append(m.payload),
    )
    pub = MqttConnection(MqttConfig(url=broker.url), "t-pub")
    await sub.start(wait_s=5)
    await pub.start(wait_s=5)
    await asyncio.sleep(0.2)
    await asyncio.wait_for(asyncio.gather(*(pub.publish("t/x", b"%d" % i) for i in range(200))), 5)
    for _ in range(50):
        if len(got) == 200:
            break
        await asyncio.sleep(0.05)
    assert got == [b"%d" % i for i in range(200)]
    await pub.stop()
    await sub.stop()


async def test_last_will_and_reconnect(broker: Mosquitto) -> None:
    status: list[bytes] = []
    watcher = MqttConnection(
        MqttConfig(url=broker.url),
        "t-watch",
        subscriptions=[Subscription("s/#")],
        on_message=lambda m: status.append(m.payload),
    )
    cfg = MqttConfig(url=broker.url, keepalive_s=5, reconnect_max_s=1)
    dying = MqttConnection(cfg, "t-dying", will=Will("s/agent", b"offline"))
    await watcher.start(wait_s=5)
    await dying.start(wait_s=5)
    # A hard socket close (no DISCONNECT) makes the broker send the will.
    sock = dying._client.socket()
    assert sock is not None
    sock.close()
    for _ in range(100):
        if b"offline" in status:
            break
        await asyncio.sleep(0.05)
    assert b"offline" in status
    await dying.wait_connected(10)
    assert dying.connect_count >= 2
    await dying.publish("s/agent", b"online", retain=True)
    await dying.stop()
    await watcher.stop()


async def test_publish_fails_fast_when_disconnected(broker: Mosquitto) -> None:
    conn = MqttConnection(MqttConfig(url=broker.url, reconnect_max_s=1), "t-down")
    await conn.start(wait_s=5)
    broker.stop()
    for _ in range(100):
        if not conn.is_connected:
            break
        await asyncio.sleep(0.05)
    with pytest.raises(PublishError, match="not connected"):
        await conn.publish("x", b"1")
    broker.start()
    await conn.wait_connected(15)
    await conn.publish("x", b"2")
    await conn.stop()
