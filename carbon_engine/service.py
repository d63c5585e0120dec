"""The engine as an MQTT service: telemetry and status in, results and alerts out, snapshots on disk.

Subscribes (QoS 1, persistent session) to ``topics.TELEMETRY_FILTER`` and the device and agent
status filters; telemetry decoded between ticks is collected and fed with one ``ingest_many``
(early when ``INBOX_MAX`` messages wait); a tick every ``tick_s`` advances the engine on the wall
clock and publishes what it produced. Messages the broker has not acknowledged stay in a bounded
outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

import paho.mqtt.client as paho

from carbon_engine.engine import Engine
from carbon_engine.results import Outbound
from iiot_core import topics
from iiot_core.clock import now_ms
from iiot_core.codec import decode_status, decode_telemetry
from iiot_core.errors import PublishError, WireError
from iiot_core.model import Telemetry
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig

log = logging.getLogger(__name__)

OUTBOX_MAX = 100_000
PUBLISH_BATCH = 1000
PUBLISH_TIMEOUT_S = 10.0
INBOX_MAX = 20_000  # telemetry messages waiting for the next tick; more are fed at once


class EngineService:
    """Runs one Engine against a broker until ``stop()``."""

    def __init__(self, engine: Engine, mqtt: MqttConfig, tick_s: float = 0.25) -> None:
        self.engine = engine
        self.tick_s = tick_s
        self.outbox: deque[Outbound] = deque()
        self.dropped = 0
        self.invalid: dict[str, int] = {}
        self.inbox: list[Telemetry] = []
        self._stop = asyncio.Event()
        subs = [
            Subscription(topics.TELEMETRY_FILTER),
            Subscription(topics.DEVICE_STATUS_FILTER),
            Subscription(topics.AGENT_STATUS_FILTER),
        ]
        self.conn = MqttConnection(
            mqtt,
            f"zcf-engine-{engine.site}",
            subscriptions=subs,
            on_message=self._on_message,
            persistent_session=True,
            session_expiry_s=24 * 3600,
        )

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Connect, then tick and snapshot until stopped; a final snapshot on the way out."""
        await self.conn.start()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._ticks())
                tg.create_task(self._snapshots())
                await self._stop.wait()
                raise _Stopped
        except* _Stopped:
            pass
        finally:
            self.feed()
            self.engine.save_snapshot()
            with contextlib.suppress(Exception):
                await self._send()
            await self.conn.stop()
            log.info("engine stopped stats=%s", self.engine.stats)

    # -- inbound ------------------------------------------------------------------------------

    def _on_message(self, msg: paho.MQTTMessage) -> None:
        try:
            if msg.topic.endswith("/telemetry"):
                self.inbox.append(decode_telemetry(msg.payload))
                if len(self.inbox) >= INBOX_MAX:
                    self.feed()
            elif msg.topic.endswith("/status") and msg.payload:
                st = decode_status(msg.payload)
                self.feed()  # telemetry that came first is applied first
                self.engine.status(msg.topic, st)
        except WireError as exc:
            n = self.invalid.get(exc.cause, 0)
            self.invalid[exc.cause] = n + 1
            if n == 0:  # once per cause: a broken publisher must not flood the log
                log.warning("invalid message cause=%s topic=%s detail=%s", exc.cause, msg.topic, exc.detail)

    def feed(self) -> None:
        """Hand the telemetry collected since the last feed to the engine in one batch."""
        if self.inbox:
            batch, self.inbox = self.inbox, []
            self.engine.ingest_many(batch)

    # -- outbound -----------------------------------------------------------------------------

    async def _ticks(self) -> None:
        while True:
            self.feed()
            out = self.engine.advance(now_ms()) + self.engine.drain_alert_messages()
            self._queue(out)
            await self._send()
            await asyncio.sleep(self.tick_s)

    def _queue(self, out: list[Outbound]) -> None:
        self.outbox.extend(out)
        while len(self.outbox) > OUTBOX_MAX:
            self.outbox.popleft()
            self.dropped += 1

    async def _send(self) -> None:
        """Publish the outbox in batches; what the broker does not acknowledge is kept."""
        while self.outbox and self.conn.is_connected:
            batch = [self.outbox.popleft() for _ in range(min(PUBLISH_BATCH, len(self.outbox)))]
            futs = [self.conn.publish(m.topic, m.payload, qos=1, retain=m.retain) for m in batch]
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                    done = await asyncio.gather(*futs, return_exceptions=True)
            except TimeoutError:
                done = [PublishError("timeout")] * len(batch)
            failed = [m for m, r in zip(batch, done, strict=True) if isinstance(r, BaseException)]
            if failed:
                self.outbox.extendleft(reversed(failed))
                log.debug("publish failed count=%d; kept for retry", len(failed))
                return

    async def _snapshots(self) -> None:
        interval = self.engine.plant.engine.snapshot_interval_s
        while True:
            await asyncio.sleep(interval)
            # In the loop thread: the engine state is not shared with other threads.
            self.feed()
            self.engine.save_snapshot()


class _Stopped(Exception):
    """Ends the task group when the service is asked to stop."""
