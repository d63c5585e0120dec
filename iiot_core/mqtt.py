"""One MQTT connection: paho's network loop in its own thread, results handed to asyncio.

paho reconnects by itself (``loop_start`` retries with ``reconnect_delay_set`` backoff);
this wrapper resubscribes on every connect, turns PUBACKs into awaitable futures and
delivers incoming messages on the event loop (after an optional ``admit`` hook, which may
block paho's thread for backpressure). Messages and PUBACKs are collected in the network
thread and handed over in batches: one ``call_soon_threadsafe`` (a write to the loop's
self-pipe, and a wake-up) per drain, not one per message; at thousands of messages a second
that hand-over was an eighth of the network thread's time. With ``on_inbound`` instead of
``on_message`` the handler gets lists of ``(topic, payload, mid, qos)`` tuples, every
message handed over in a row in one call, from the lean receive path (``mqtt_inbound``)
rather than paho's ``MQTTMessage`` one at a time.

The hand-over itself is ``mqtt_handover``, the PUBACK futures ``mqtt_acks``, connect causes
``mqtt_cause``, settings ``mqtt_config`` and the lean receive path ``mqtt_inbound``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from iiot_core.errors import ConfigError, PublishError
from iiot_core.mqtt_acks import PubackBook
from iiot_core.mqtt_cause import OutageLog, describe, refusal
from iiot_core.mqtt_config import MqttConfig
from iiot_core.mqtt_handover import LoopHandover
from iiot_core.mqtt_inbound import Inbound, LeanClient

# Receives, on the loop, every message of a run read in a row (lean path, see mqtt_inbound).
InboundHandler = Callable[[list[Inbound]], None]

log = logging.getLogger(__name__)

MessageHandler = Callable[[paho.MQTTMessage], None]
# Called in paho's network thread before a message is handed to the loop. Blocking there is
# backpressure: paho reads nothing more (nor sends PUBACKs or pings) until it returns.
AdmitHook = Callable[[], None]


# Linux's TCP_INFO starts with the connection state; 1 is ESTABLISHED (after a FIN from the
# peer it is CLOSE_WAIT, after a reset CLOSE). Elsewhere the option is missing.
_TCP_INFO: int | None = getattr(socket, "TCP_INFO", None)
_TCP_ESTABLISHED = 1


def tcp_established(sock: Any) -> bool:
    """False once the peer closed or reset ``sock``; True where the OS cannot tell."""
    if _TCP_INFO is None or not hasattr(sock, "getsockopt"):
        return True
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 1)
    except OSError:
        return False  # closed meanwhile by paho's thread
    return bool(info) and info[0] == _TCP_ESTABLISHED


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class Subscription:
    topic_filter: str
    qos: int = 1


class MqttConnection:
    """A reconnecting MQTT client bound to the running event loop."""

    def __init__(
        self,
        cfg: MqttConfig,
        client_id: str,
        *,
        will: Will | None = None,
        subscriptions: list[Subscription] | None = None,
        on_message: MessageHandler | None = None,
        on_inbound: InboundHandler | None = None,
        admit: AdmitHook | None = None,
        manual_ack: bool = False,
        persistent_session: bool = False,
        session_expiry_s: int = 3600,
        receive_maximum: int = 1000,
        max_inflight: int = 1000,
        on_connect: Callable[[], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.client_id = cfg.client_id or client_id
        self._subs = subscriptions or []
        self._handler = on_message
        self._inbound = on_inbound
        self._admit = admit
        self._on_connect_cb = on_connect
        self._persistent = persistent_session
        self._session_expiry_s = session_expiry_s
        self._receive_maximum = receive_maximum
        self._connected = threading.Event()
        self._lock = threading.Lock()  # guards _sub_mids
        self._handover = LoopHandover()
        self._acks = PubackBook(self._handover, f"{cfg.host}:{cfg.port}")
        self.connect_count = 0
        self._closing = False  # set by stop(): our own disconnect is not worth a warning
        # Topic filter -> what is wrong, for subscriptions the broker refused or downgraded (SUBACK).
        self.refused: dict[str, str] = {}
        self._sub_mids: dict[int, Subscription] = {}
        self.outage = OutageLog(f"{cfg.host}:{cfg.port}")
        self._socket_error: str | None = None
        self._connack_refused = False  # paho's last error log line while not connected
        proto = paho.MQTTv5 if cfg.protocol == 5 else paho.MQTTv311
        kwargs: dict[str, Any] = {}
        if proto == paho.MQTTv311:
            kwargs["clean_session"] = not persistent_session
        self._client = LeanClient(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=proto,
            manual_ack=manual_ack,
            **kwargs,
        )
        self._client.max_inflight_messages_set(max_inflight)
        # paho counts whole seconds: a sub-second setting becomes 1 s, and max never below min.
        min_delay = max(1, round(cfg.reconnect_min_s))
        self._client.reconnect_delay_set(
            min_delay=min_delay, max_delay=max(min_delay, round(cfg.reconnect_max_s))
        )
        user, pw = cfg.credentials
        if user is not None:
            self._client.username_pw_set(user, pw)
        if cfg.tls:
            self._set_tls()
        if will is not None:
            self._client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._client.on_message = self._on_message
        if on_inbound is not None:
            self._client.raw_handler = self._on_inbound
        self._client.on_subscribe = self._on_subscribe
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_log = self._on_log  # only while there is no session: it costs per packet

    def _set_tls(self) -> None:
        cfg = self.cfg
        if problem := cfg.tls_problem():
            raise ConfigError([f"mqtt: {problem}"])
        try:
            self._client.tls_set(
                ca_certs=cfg.ca_file,
                certfile=cfg.cert_file,
                keyfile=cfg.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            files = f"ca_file={cfg.ca_file} cert_file={cfg.cert_file} key_file={cfg.key_file}"
            raise ConfigError([f"mqtt: TLS files not usable ({files}): {exc}"]) from exc
        self._client.tls_insecure_set(cfg.tls_insecure)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, wait_s: float | None = None) -> None:
        """Start connecting in the background; optionally wait up to ``wait_s`` for the session."""
        self._handover.loop = asyncio.get_running_loop()
        props = None
        clean_start: Any = paho.MQTT_CLEAN_START_FIRST_ONLY
        if self.cfg.protocol == 5:
            props = Properties(PacketTypes.CONNECT)
            props.ReceiveMaximum = self._receive_maximum
            if self._persistent:
                props.SessionExpiryInterval = self._session_expiry_s
                clean_start = False
            else:
                clean_start = True
        self._client.connect_async(
            self.cfg.host,
            self.cfg.port,
            keepalive=self.cfg.keepalive_s,
            clean_start=clean_start,
            properties=props,
        )
        self._client.loop_start()
        if wait_s is not None:
            await self.wait_connected(wait_s)

    async def wait_connected(self, timeout_s: float) -> None:
        """Wait until connected; raise PublishError naming the broker after ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                while not self.is_connected:
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise PublishError(
                f"no MQTT session with {self.cfg.host}:{self.cfg.port} after {timeout_s:.0f} s"
            ) from None

    async def stop(self, final: list[tuple[str, bytes, bool]] | None = None) -> None:
        """Publish ``final`` (topic, payload, retain) messages, then disconnect cleanly."""
        for topic, payload, retain in final or []:
            if self.is_connected:
                try:
                    await asyncio.wait_for(self.publish(topic, payload, retain=retain), 2.0)
                except (TimeoutError, PublishError):
                    log.warning("final message not acknowledged topic=%s", topic)
        self._closing = True
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self._acks.fail_pending("connection closed")  # resolves what was PUBACKed first

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    @property
    def inbox_drains(self) -> int:
        """How many hand-offs carried the messages (a batching measure)."""
        return self._handover.drains

    @property
    def ack_drains(self) -> int:
        """How many hand-offs carried the PUBACKs (a batching measure)."""
        return self._acks.drains

    @property
    def publish_refused(self) -> int:
        """PUBACKs with a failure reason (MQTT 5: e.g. the ACL said no)."""
        return self._acks.refused

    @property
    def last_cause(self) -> str | None:
        """Why the last connection attempt failed (kept after a reconnect), None if none ever did."""
        return self.outage.last_cause

    def health(self) -> dict[str, object]:
        """What every role's /health shows of its broker connection."""
        return {"mqtt_connected": self.is_connected, "mqtt_last_cause": self.last_cause}

    @property
    def link_up(self) -> bool:
        """Connected, and the kernel says the TCP connection is still established.

        ``is_connected`` is cleared by paho's network thread when it reads the end of the
        stream; while that thread waits in ``admit`` (backpressure) it reads nothing, so a
        dropped broker would look connected until the store catches up. For health checks."""
        if not self._connected.is_set():
            return False
        sock = self._client.socket()
        return sock is not None and tcp_established(sock)

    # -- publishing ------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> asyncio.Future[None]:
        """Publish; the future resolves on PUBACK (QoS 1) or at once (QoS 0)."""
        loop = self._handover.loop
        assert loop is not None, "start() first"
        fut: asyncio.Future[None] = loop.create_future()
        if not self.is_connected:
            fut.set_exception(PublishError("not connected to the broker"))
            return fut
        info = self._send(topic, payload, qos, retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            fut.set_exception(PublishError(f"publish refused: {paho.error_string(info.rc)}"))
            return fut
        if qos == 0:
            fut.set_result(None)
            return fut
        self._acks.expect(info.mid, fut)
        return fut

    def _send(self, topic: str, payload: bytes, qos: int, retain: bool) -> paho.MQTTMessageInfo:
        # The packet may be on the wire, even PUBACKed, before this returns.
        return self._client.publish(topic, payload, qos=qos, retain=retain)

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge a received message (manual-ack mode)."""
        self._client.ack(mid, qos)

    def ack_many(self, mids: list[int]) -> None:
        """Acknowledge received QoS 1 messages (manual-ack mode) with one write."""
        self._client.ack_many(mids)

    # -- paho callbacks (network thread) -----------------------------------------------------

    def _on_connect(self, client: paho.Client, _ud: Any, _flags: Any, rc: Any, _props: Any) -> None:
        if rc.is_failure:
            self._connack_refused = True  # the disconnect that follows says nothing more
            self.outage.failed(refusal(rc))
            return
        client.on_log = None
        self._socket_error = None
        self.outage.connected()
        self.connect_count += 1
        if self._persistent and self.connect_count > 1 and not _flags.session_present:
            log.warning(
                "MQTT broker kept no session: messages queued while away are lost broker=%s:%s client_id=%s",
                self.cfg.host,
                self.cfg.port,
                self.client_id,
            )
        for sub in self._subs:
            _rc, mid = client.subscribe(sub.topic_filter, qos=sub.qos)
            if mid is not None:
                with self._lock:
                    self._sub_mids[mid] = sub
        self._connected.set()
        log.info("MQTT connected broker=%s:%s client_id=%s", self.cfg.host, self.cfg.port, self.client_id)
        if self._on_connect_cb is not None:
            # Through the inbox: the loop sees the connect after every message read before it.
            self._handover.deliver(self._run_on_connect, None)

    def _on_disconnect(self, _c: paho.Client, _ud: Any, _flags: Any, rc: Any, _props: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        _c.on_log = self._on_log
        if was:
            level = logging.INFO if self._closing else logging.WARNING
            log.log(level, "MQTT disconnected broker=%s:%s reason=%s", self.cfg.host, self.cfg.port, rc)
        elif self._connack_refused:
            self._connack_refused = False
        elif not self._closing and rc.is_failure:
            # No CONNACK yet: e.g. a TLS 1.3 broker that rejects our certificate after the handshake.
            self.outage.failed(self._socket_error or f"connection closed before CONNACK: {rc}")
        self._handover.call(self._acks.fail_pending, "disconnected before PUBACK")

    def _on_connect_fail(self, _c: paho.Client, _ud: Any) -> None:
        self.outage.failed(describe(self._client.last_connect_error))

    def _on_log(self, _c: paho.Client, _ud: Any, level: int, buf: str) -> None:
        if level == paho.MQTT_LOG_ERR:
            self._socket_error = buf

    def _on_publish(self, _c: paho.Client, _ud: Any, mid: int, rc: Any, _props: Any) -> None:
        self._acks.on_puback(mid, rc)

    def _on_subscribe(self, _c: paho.Client, _ud: Any, mid: int, reasons: list[Any], _props: Any) -> None:
        with self._lock:
            sub = self._sub_mids.pop(mid, None)
        if sub is None or not reasons:
            return
        reason = reasons[0]
        if reason.is_failure:
            problem = f"refused: {reason}"
        elif reason.value < sub.qos:
            problem = f"granted QoS {reason.value}, asked {sub.qos}: delivery is not guaranteed"
        else:
            self.refused.pop(sub.topic_filter, None)
            return
        # A refused or downgraded filter means silence or loss later, not an error now: say it loudly.
        log.error(
            "MQTT subscription not granted as asked broker=%s:%s filter=%s %s",
            self.cfg.host,
            self.cfg.port,
            sub.topic_filter,
            problem,
        )
        self.refused[sub.topic_filter] = problem

    def _on_message(self, _c: paho.Client, _ud: Any, msg: paho.MQTTMessage) -> None:
        if self._inbound is not None:
            # A packet the lean path left to paho (properties, QoS 2): the same tuple.
            try:
                topic = msg.topic
            except UnicodeDecodeError:  # refused as a bad topic downstream, and acked
                topic = msg._topic.decode("utf-8", "replace")
            self._on_inbound((topic, bytes(msg.payload), msg.mid, msg.qos))
        elif self._handler is not None:
            if self._admit is not None:
                self._admit()
            self._handover.deliver(self._handler, msg)

    def _on_inbound(self, inbound: Inbound) -> None:
        if self._admit is not None:
            self._admit()
        handler = self._inbound
        assert handler is not None
        self._handover.deliver_in_run(handler, inbound)

    def _run_on_connect(self, _arg: None) -> None:
        if self._on_connect_cb is not None:
            self._on_connect_cb()
