"""The lean receive path: the parser agrees with paho's own decoder, and the whole path with a
real broker (messages in order, PUBACKs in one write taken by the broker, paho's path for
packets with properties)."""

from __future__ import annotations

import asyncio
import struct

import paho.mqtt.client as paho
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt import _packet
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from iiot_core.mqtt_inbound import Inbound, parse_publish, pubacks
from tests.support.servers import Mosquitto


def _props(expiry: int | None, user: tuple[str, str] | None) -> bytes:
    props = Properties(PacketTypes.PUBLISH)
    if expiry is not None:
        props.MessageExpiryInterval = expiry
    if user is not None:
        props.UserProperty = user
    return bytes(props.pack())


def _paho(header: int, packet: bytes, v5: bool) -> Inbound | None:
    """What paho makes of the packet, as an Inbound; None if paho refuses it."""
    proto = MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311
    try:
        got = _packet.decode_publish(header, bytearray(packet), proto)
        return got.topic.decode(), bytes(got.payload), got.mid, got.qos
    except (paho.MQTTException, UnicodeDecodeError):
        return None


@given(
    topic=st.text(max_size=40),
    payload=st.binary(max_size=300),
    qos=st.integers(0, 2),
    mid=st.integers(1, 65535),
    v5=st.booleans(),
    flags=st.integers(0, 0x0F),
    expiry=st.none() | st.integers(0, 2**32 - 1),
    user=st.none() | st.tuples(st.text(max_size=5), st.text(max_size=5)),
)
def test_parser_agrees_with_paho(
    topic: str,
    payload: bytes,
    qos: int,
    mid: int,
    v5: bool,
    flags: int,
    expiry: int | None,
    user: tuple[str, str] | None,
) -> None:
    raw = topic.encode()
    header = 0x30 | (flags & 0x09) | (qos << 1)
    props = (_props(expiry, user) if v5 else b"") or (b"\x00" if v5 else b"")
    packet = struct.pack("!H", len(raw)) + raw + (struct.pack("!H", mid) if qos else b"") + props + payload
    lean = parse_publish(header, bytearray(packet), v5)
    if lean is not None:
        assert lean == _paho(header, packet, v5) == (topic, payload, mid if qos else 0, qos)
    # The lean path takes every common packet; only the rest is left to paho.
    assert (lean is None) == (qos == 2 or not raw or (v5 and len(props) > 1))


@given(header=st.integers(0x30, 0x3F), packet=st.binary(max_size=40), v5=st.booleans())
def test_parser_never_accepts_what_paho_refuses(header: int, packet: bytes, v5: bool) -> None:
    lean = parse_publish(header, bytearray(packet), v5)
    if lean is not None:
        assert lean == _paho(header, packet, v5)


def test_pubacks_are_paho_pubacks() -> None:
    mids = [1, 255, 256, 65535]
    assert pubacks(mids) == b"".join(struct.pack("!BBH", 0x40, 2, m) for m in mids)


def _subscriber(broker: Mosquitto, got: list[Inbound], runs: list[int]) -> MqttConnection:
    def take(msgs: list[Inbound]) -> None:
        runs.append(len(msgs))
        got.extend(msgs)

    return MqttConnection(
        MqttConfig(url=broker.url),
        "t-lean",
        subscriptions=[Subscription("lean/#", qos=1)],
        on_inbound=take,
        manual_ack=True,
        persistent_session=True,
    )


async def _until(cond: object, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not cond():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_lean_path_through_a_broker(broker: Mosquitto) -> None:
    """Messages in order, in runs; one with properties through paho; one PUBACK write for all:
    after a reconnect to the same session the broker redelivers only what was not acked."""
    pub = MqttConnection(MqttConfig(url=broker.url), "t-lean-pub")
    await pub.start(wait_s=5)
    got: list[Inbound] = []
    runs: list[int] = []
    sub = _subscriber(broker, got, runs)
    await sub.start(wait_s=5)
    await asyncio.sleep(0.2)
    await asyncio.gather(*(pub.publish("lean/a", b"%d" % i) for i in range(300)))
    # A message with properties goes through paho's decoder and arrives the same way.
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = ("k", "v")
    pub._client.publish("lean/b", b"with-props", qos=1, properties=props)
    await _until(lambda: len(got) == 301)
    assert [p for _t, p, _m, _q in got[:300]] == [b"%d" % i for i in range(300)]
    assert got[300][0:2] == ("lean/b", b"with-props") and got[300][3] == 1
    assert len(runs) < 301  # handed over in runs, not one call per message
    sub.ack_many([mid for _t, _p, mid, _q in got[:200]])  # not the last 101
    await asyncio.sleep(0.3)
    await sub.stop()

    again: list[Inbound] = []
    sub = _subscriber(broker, again, [])
    await sub.start(wait_s=5)
    await _until(lambda: len(again) == 101)
    await asyncio.sleep(0.3)
    assert [p for _t, p, _m, _q in again] == [b"%d" % i for i in range(200, 300)] + [b"with-props"]
    sub.ack_many([mid for _t, _p, mid, _q in again])
    await asyncio.sleep(0.3)
    await sub.stop()
    await pub.stop()
