"""The embedded broker `zcf demo` falls back to: QoS 1, retained messages, MQTT 3.1.1."""

from __future__ import annotations

import asyncio

from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from tests.support.servers import free_port
from zcf.embedded_broker import EmbeddedBroker


async def test_embedded_broker_delivers_qos1_and_retained() -> None:
    broker = EmbeddedBroker(port=free_port())
    await broker.start()
    got: list[tuple[str, bytes, bool]] = []
    cfg = MqttConfig(url=broker.url, protocol=4)
    pub = MqttConnection(cfg, "emb-pub")
    sub = MqttConnection(
        cfg,
        "emb-sub",
        subscriptions=[Subscription("a/#")],
        on_message=lambda m: got.append((m.topic, m.payload, bool(m.retain))),
    )
    try:
        await pub.start(wait_s=5)
        await asyncio.wait_for(pub.publish("a/status", b"online", retain=True), 5)
        await sub.start(wait_s=5)
        await asyncio.sleep(0.3)
        await asyncio.wait_for(asyncio.gather(*(pub.publish("a/x", b"%d" % i) for i in range(300))), 10)
        for _ in range(100):
            if len(got) >= 301:
                break
            await asyncio.sleep(0.05)
        assert got[0] == ("a/status", b"online", True)
        assert [p for t, p, _ in got if t == "a/x"] == [b"%d" % i for i in range(300)]
    finally:
        await pub.stop()
        await sub.stop()
        await broker.stop()
