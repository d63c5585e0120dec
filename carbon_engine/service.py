"""The engine as an MQTT service: telemetry and status in, results and alerts out, state on disk.

Subscribes (QoS 1, persistent session, manual acknowledgement) to ``topics.TELEMETRY_FILTER``
and the device and agent status filters. A telemetry message is acknowledged only once its
payload is in the engine's journal (``journal.py``, within ``COMMIT_DELAY_S``): a crash loses
nothing the broker has forgotten. Telemetry decoded between ticks is fed with one
``ingest_many``; a tick every ``tick_s`` advances the engine on the wall clock and publishes
what it produced. Messages the broker has not acknowledged stay in a bounded outbox, which the
snapshot keeps; acknowledged results are journalled as marks so that a restart does not send
them again.

With ``lease_s`` set, the engines of a site share a retained lease (``lease.py``): only the
holder publishes; the others follow the stream, compute the same windows, watch the holder's
results and take over when its renewals stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque

import paho.mqtt.client as paho

from carbon_engine.engine import Engine
from carbon_engine.lease import Lease
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
COMMIT_DELAY_S = 0.01  # journal and acknowledge what arrived within this long, in one write
COMMIT_MAX = 500  # ... or as soon as this many messages wait (the broker's in-flight window)
RECEIVE_MAXIMUM = 2000


class EngineService:
    """Runs one Engine against a broker until ``stop()``."""

    def __init__(
        self,
        engine: Engine,
        mqtt: MqttConfig,
        tick_s: float = 0.25,
        *,
        lease_s: float | None = None,
        standby: bool = False,
    ) -> None:
        self.engine = engine
        self.tick_s = tick_s
        self.outbox: deque[Outbound] = deque(engine.restored_outbox)
        engine.restored_outbox = []
        self.dropped = 0
        self.invalid: dict[str, int] = {}
        self.inbox: list[Telemetry] = []
        self._payloads: list[bytes] = []  # received, not yet journalled
        self._unacked: list[tuple[int, int, int]] = []  # (mid, qos, connection epoch)
        self._epoch = 0
        self._commit_at: asyncio.TimerHandle | None = None
        self._journal_failing = False
        self._held_alerts: dict[str, Outbound] = {}
        self._stop = asyncio.Event()
        subs = [
            Subscription(topics.TELEMETRY_FILTER),
            Subscription(topics.DEVICE_STATUS_FILTER),
            Subscription(topics.AGENT_STATUS_FILTER),
        ]
        self.lease: Lease | None = None
        self.lease_s = lease_s
        self.standby = standby
        if lease_s is not None:
            subs += [Subscription(topics.engine_lease(engine.site)), Subscription(topics.RESULT_FILTER)]
            engine.step_down()  # until the lease is ours
        self.conn = MqttConnection(
            mqtt,
            f"zcf-engine-{engine.site}",  # unless the config names one (--client-id)
            subscriptions=subs,
            on_message=self._on_message,
            manual_ack=True,
            persistent_session=True,
            session_expiry_s=24 * 3600,
            receive_maximum=RECEIVE_MAXIMUM,
            on_connect=self._on_connect,
        )

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Connect, then tick and snapshot until stopped; a final snapshot on the way out."""
        if self.lease_s is not None:
            self.lease = Lease(self.conn.client_id, self.lease_s, self.standby, time.monotonic())
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
            if self.engine.publishing:
                with contextlib.suppress(Exception):
                    await self._send()
            self.engine.save_snapshot(self.outbox)
            await self.conn.stop(self._release())
            log.info("engine stopped stats=%s", self.engine.stats)

    # -- inbound ------------------------------------------------------------------------------

    def _on_connect(self) -> None:
        # Called on the loop in order with the messages: acks only go to the connection that delivered.
        self._epoch += 1

    def _on_message(self, msg: paho.MQTTMessage) -> None:
        topic = msg.topic
        try:
            if topic.endswith("/telemetry"):
                self.inbox.append(decode_telemetry(msg.payload))
                self._payloads.append(bytes(msg.payload))
                self._unacked.append((msg.mid, msg.qos, self._epoch))
                self._schedule_commit()
                if len(self.inbox) >= INBOX_MAX:
                    self.feed()
                return
            if topic.endswith("/status") and msg.payload:
                st = decode_status(msg.payload)
                self.feed()  # telemetry that came first is applied first
                self.engine.status(topic, st)
            elif topic.endswith("/result") and not self.engine.publishing:
                self.engine.observe_result(topic, decode_telemetry(msg.payload))
            elif self.lease is not None and topic == topics.engine_lease(self.engine.site):
                self.lease.heard(bytes(msg.payload), time.monotonic(), now_ms())
        except WireError as exc:
            n = self.invalid.get(exc.cause, 0)
            self.invalid[exc.cause] = n + 1
            self.engine.invalid[exc.cause] += 1  # for /metrics (ingest dead-letters the message)
            if n == 0:  # once per cause: a broken publisher must not flood the log
                log.warning("invalid message cause=%s topic=%s detail=%s", exc.cause, topic, exc.detail)
        self.conn.ack(msg.mid, msg.qos)  # nothing of it needs the journal

    def _schedule_commit(self) -> None:
        if len(self._unacked) >= COMMIT_MAX:
            self.commit()
        elif self._commit_at is None:
            self._commit_at = asyncio.get_running_loop().call_later(COMMIT_DELAY_S, self.commit)

    def commit(self) -> None:
        """Journal what arrived, then acknowledge it to the broker."""
        if self._commit_at is not None:
            self._commit_at.cancel()
            self._commit_at = None
        if not self._unacked:
            return
        try:
            self.engine.record(self._payloads)
        except OSError as exc:
            # Unacknowledged, the messages come again after a reconnect; the broker's in-flight
            # window fills meanwhile, which stops the stream: nothing is lost.
            if not self._journal_failing:
                log.error("cannot write the engine journal error=%s; messages stay unacknowledged", exc)
            self._journal_failing = True
            self._payloads = []
            self._unacked = []
            return
        if self._journal_failing:
            log.info("engine journal writable again")
            self._journal_failing = False
        acks, self._unacked, self._payloads = self._unacked, [], []
        epoch = self._epoch
        for mid, qos, ep in acks:
            if ep == epoch:
                self.conn.ack(mid, qos)

    def feed(self) -> None:
        """Hand the telemetry collected since the last feed to the engine in one batch."""
        self.commit()
        if self.inbox:
            batch, self.inbox = self.inbox, []
            self.engine.ingest_many(batch)

    # -- outbound -----------------------------------------------------------------------------

    async def _ticks(self) -> None:
        while True:
            self.feed()
            self._lease_tick()
            out = self.engine.advance(now_ms()) + self.engine.drain_alert_messages()
            if self.engine.publishing:
                self._queue(out)
            else:  # alert states wait (results wait in the engine) until this engine takes over
                self._held_alerts.update((m.topic, m) for m in out)
            if self.engine.publishing:  # a standby sends nothing, its restored outbox included
                await self._send()
            await asyncio.sleep(self.tick_s)

    def _lease_tick(self) -> None:
        lease = self.lease
        if lease is None:
            return
        now = time.monotonic()
        hold = lease.should_hold(now)
        if hold and not self.engine.publishing:
            self._queue(self.engine.take_over() + list(self._held_alerts.values()))
            self._held_alerts.clear()
        elif not hold and self.engine.publishing:
            self.engine.step_down()
        payload = lease.renewal(now, now_ms())
        if payload is not None and self.conn.is_connected:
            fut = self.conn.publish(topics.engine_lease(self.engine.site), payload, retain=True)
            fut.add_done_callback(_ignore)

    def _release(self) -> list[tuple[str, bytes, bool]]:
        """The lease release to publish on a clean stop (the standby takes over at once)."""
        if self.lease is None or not self.lease.holding:
            return []
        return [(topics.engine_lease(self.engine.site), self.lease.payload(now_ms(), released=True), True)]

    def _queue(self, out: list[Outbound]) -> None:
        self.outbox.extend(out)
        lost = 0
        while len(self.outbox) > OUTBOX_MAX:
            self.outbox.popleft()
            lost += 1
        if lost:
            if not self.dropped:  # once: a broker away for long fills the outbox steadily
                log.error(
                    "engine outbox full max=%d: oldest messages dropped (counted in /metrics)", OUTBOX_MAX
                )
            self.dropped += lost
            self.engine.outbox_dropped = self.dropped

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
            sent = [m.mark for m, r in zip(batch, done, strict=True) if m.mark and r is None]
            self.engine.confirm(sent)
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
            self.engine.save_snapshot(self.outbox)


def _ignore(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()  # retrieved: a lost renewal is renewed again a third of the lease later


class _Stopped(Exception):
    """Ends the task group when the service is asked to stop."""
