from __future__ import annotations

import asyncio
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from iiot_core.errors import PublishError
from iiot_core.mqtt import MqttConnection, Subscription, Will
from iiot_core.mqtt_config import MqttConfig
from tests.support.servers import Mosquitto, free_port, running


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


class _SlowRegistration(MqttConnection):
    """Blocks the loop thread after each send until its PUBACK has reached the network thread.

    This forces the early-ack race for real: the broker's PUBACK is received (and its drain
    scheduled) before publish() registers the future.
    """

    early = 0

    def _send(self, topic: str, payload: bytes, qos: int, retain: bool) -> paho.MQTTMessageInfo:
        info = super()._send(topic, payload, qos, retain)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            with self._acks.lock:
                if info.mid in self._acks.acked:
                    self.early += 1
                    break
            time.sleep(0.005)  # deliberately blocking: nothing may run on the loop meanwhile
        return info


async def test_puback_before_future_is_registered(broker: Mosquitto) -> None:
    conn = _SlowRegistration(MqttConfig(url=broker.url), "t-early")
    await conn.start(wait_s=5)
    futs = [conn.publish("t/early", b"%d" % i) for i in range(5)]
    assert conn.early == 5  # every PUBACK beat its registration
    await asyncio.wait_for(asyncio.gather(*futs), 5)
    assert not conn._acks.pending and not conn._acks.acked
    await conn.stop()


def _block_loop_until_acked(conn: MqttConnection, n: int) -> None:
    """Keep the event loop busy (blocked) while ``n`` PUBACKs reach the network thread."""
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        with conn._acks.lock:
            if len(conn._acks.acked) >= n:
                return
        time.sleep(0.01)


async def test_pubacks_are_handed_over_in_batches(broker: Mosquitto) -> None:
    conn = MqttConnection(MqttConfig(url=broker.url), "t-batch")
    await conn.start(wait_s=5)
    futs = [conn.publish("t/batch", b"x" * 50) for _ in range(1000)]
    _block_loop_until_acked(conn, len(futs))
    await asyncio.wait_for(asyncio.gather(*futs), 5)
    assert conn.ack_drains == 1  # one hand-off to the loop carried all 1000 PUBACKs
    assert not conn._acks.pending and not conn._acks.acked
    await conn.stop()


async def test_pubacked_before_stop_resolve_and_rest_fail(broker: Mosquitto) -> None:
    conn = MqttConnection(MqttConfig(url=broker.url), "t-stop")
    await conn.start(wait_s=5)
    await conn.publish("t/stop", b"first")
    futs = [conn.publish("t/stop", b"%d" % i) for i in range(500)]
    await conn.stop()  # no await in between: some PUBACKs may still be outstanding
    assert all(f.done() for f in futs)
    ok = [f for f in futs if f.exception() is None]
    failed = [f for f in futs if f.exception() is not None]
    assert len(ok) + len(failed) == 500
    assert all(isinstance(f.exception(), PublishError) for f in failed)


async def test_a_downgraded_subscription_is_reported(tmp_path: Path) -> None:
    """A broker that grants less than QoS 1: the connection names the filter instead of losing quietly."""
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    with running(Mosquitto(workdir, free_port(), extra_config="max_qos 0\n")) as broker:
        conn = MqttConnection(
            MqttConfig(url=broker.url),
            "t-qos",
            subscriptions=[Subscription("best-effort/#", qos=0), Subscription("telemetry/#", qos=1)],
        )
        await conn.start(wait_s=5)
        try:
            for _ in range(100):
                if conn.refused:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # both SUBACKs are in
            assert list(conn.refused) == ["telemetry/#"]
            assert "granted QoS 0, asked 1" in conn.refused["telemetry/#"]
        finally:
            await conn.stop()
