"""A lean receive path for a subscriber that reads only topic, payload, mid and QoS (ingest).

For every MQTT 5 message paho builds a ``Properties`` object (two dicts and two lists of
some 30 entries, even when the packet has no property) and an ``MQTTMessage`` holding a
``threading.Condition``; it then reads one packet per ``select``. Handling a 15-point
telemetry PUBLISH took paho 16 µs of CPU (socket reads aside), this path 2 µs; with one
``select`` per burst instead of per packet, ingest's network thread went from half of the
process's time to a fifth (py-spy, GIL held, SQLite drain).
``LeanClient`` parses the common packet itself (QoS 0 or 1, no property, a UTF-8 topic)
into an ``Inbound`` tuple, reads every packet the socket holds before it selects again,
and acknowledges many messages with one write. Any other packet (properties such as a
topic alias, QoS 2, anything malformed) goes through paho's own decoding, which also
decides what is malformed: the lean path never accepts what paho would refuse.

The overrides use paho 2.x internals (``_handle_publish``, ``_in_packet``, ``_packet_read``,
``_packet_queue``); ``tests/iiot_core/test_mqtt_inbound.py`` checks the parser against
paho's own decoder and the whole path against a real broker.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import paho.mqtt.client as paho

from iiot_core.mqtt_cause import CauseClient

# (topic, payload, mid, qos) of one received PUBLISH; mid is 0 for QoS 0. The retain and
# dup flags are not kept: a subscriber that needs them takes paho's ``MQTTMessage``.
Inbound = tuple[str, bytes, int, int]
RawHandler = Callable[[Inbound], None]

# Packets read per select: paho reads one, then selects again even when more are buffered.
READ_BURST = 256
_PUBACK = 0x40
_TOPIC_LEN = struct.Struct("!H")


def parse_publish(header: int, packet: bytes | bytearray, v5: bool) -> Inbound | None:
    """The message in a PUBLISH packet (``header`` is its first byte, ``packet`` the rest after
    the remaining length), or None when paho must decode it: QoS 2, MQTT 5 properties, a
    topic that is not UTF-8 or a packet too short for what it announces."""
    qos = (header & 0x06) >> 1
    if qos > 1 or len(packet) < 2:
        return None
    end = 2 + _TOPIC_LEN.unpack_from(packet)[0]
    pos = end + (2 if qos else 0) + (1 if v5 else 0)
    if end == 2 or len(packet) < pos or (v5 and packet[pos - 1] != 0):
        return None  # an empty topic, too short, or MQTT 5 properties
    mid = (packet[end] << 8) | packet[end + 1] if qos else 0
    try:
        topic = packet[2:end].decode()
    except UnicodeDecodeError:
        return None
    with memoryview(packet) as view:
        payload = bytes(view[pos:])
    return topic, payload, mid, qos


def pubacks(mids: Sequence[int]) -> bytes:
    """PUBACK packets (success, no properties: valid in MQTT 3.1.1 and 5) for ``mids``."""
    return struct.pack(f"!{len(mids)}I", *[0x4002_0000 | m for m in mids])


class LeanClient(CauseClient):
    """paho's client with the lean receive path, used while ``raw_handler`` is set."""

    raw_handler: RawHandler | None = None

    def _handle_publish(self) -> paho.MQTTErrorCode:
        handler = self.raw_handler
        if handler is not None:
            pkt = self._in_packet
            inbound = parse_publish(pkt["command"], pkt["packet"], self._protocol == paho.MQTTv5)
            if inbound is not None:
                with self._in_callback_mutex:
                    handler(inbound)
                if inbound[3] == 1 and not self._manual_ack:
                    return self._send_puback(inbound[2])
                return paho.MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._handle_publish()

    def loop_read(self, max_packets: int = 1) -> paho.MQTTErrorCode:
        """Read packets until the socket would block (at most READ_BURST), not just one."""
        if self.raw_handler is None:
            return super().loop_read(max_packets)
        for _ in range(READ_BURST):
            if self._sock is None:
                return paho.MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == paho.MQTTErrorCode.MQTT_ERR_AGAIN:
                break
        return paho.MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: Sequence[int]) -> None:
        """Acknowledge QoS 1 messages (manual-ack mode) in one write instead of one per message."""
        if mids:
            self._packet_queue(_PUBACK, pubacks(mids), 0, 0)
