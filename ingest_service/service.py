"""One ingest process: the store writer, the MQTT session, the pipeline and the HTTP endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.status_http import StatusHttp
from iiot_core.store import StoreWriter, open_writer
from ingest_service.config import IngestSettings
from ingest_service.metrics import Metrics
from ingest_service.pipeline import CommitHook, Pipeline

log = logging.getLogger(__name__)

STOP_GRACE_S = 5.0


class IngestService:
    """Consume telemetry and engine results into the store until ``stop`` is called."""

    def __init__(self, settings: IngestSettings, on_commit: CommitHook | None = None) -> None:
        self.settings = settings
        self.on_commit = on_commit
        self.metrics = Metrics(mqtt_connected=self.mqtt_connected)
        self.http_port: int | None = None
        self._stop = asyncio.Event()
        self._writer: StoreWriter | None = None
        self._conn: MqttConnection | None = None
        self._pipeline: Pipeline | None = None
        self._ready = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def wait_ready(self, timeout_s: float = 10.0) -> None:
        """Wait until the store is checked and the MQTT session is up (for tests)."""
        async with asyncio.timeout(timeout_s):
            await self._ready.wait()

    async def open_store(self) -> StoreWriter:
        """Open and check the store; StoreError/ConfigError say clearly what is wrong."""
        writer = open_writer(self.settings.effective_store_url())
        try:
            await writer.check()
        except BaseException:
            await writer.close()
            raise
        log.info("store ready store=%s", writer.description)
        return writer

    async def run(self) -> None:
        """Run until stopped; raises StoreError/ConfigError at start-up if the store is unusable."""
        s = self.settings
        writer = self._writer = await self.open_store()
        conn = self._conn = MqttConnection(
            s.mqtt,
            s.effective_client_id(),
            subscriptions=[Subscription(f, qos=1) for f in s.topic_filters()],
            # The callbacks fire only after start(), when ``pipeline`` is bound.
            on_inbound=lambda msgs: pipeline.on_messages(msgs),
            admit=lambda: pipeline.budget.admit(),
            on_connect=lambda: pipeline.on_connect(),
            manual_ack=True,
            persistent_session=True,
            session_expiry_s=s.session_expiry_s,
            receive_maximum=s.receive_maximum,
        )
        pipeline = self._pipeline = Pipeline(writer, conn, s, self.metrics, self.on_commit)
        app = StatusHttp(self.metrics.render, self.health)
        try:
            if s.http_port is not None:
                self.http_port = await app.serve(s.http_host, s.http_port)
            await conn.start()
            async with asyncio.TaskGroup() as tg:
                writer_task = tg.create_task(pipeline.run())
                status_task = tg.create_task(self._status_loop())
                tg.create_task(self._watch_connect(conn))
                await self._stop.wait()
                pipeline.stop(STOP_GRACE_S)
                await writer_task
                status_task.cancel()
        finally:
            await self._shutdown(conn, writer, app)

    async def _watch_connect(self, conn: MqttConnection) -> None:
        try:
            await conn.wait_connected(10)
            self._ready.set()
        except Exception as exc:
            log.warning("%s; still trying", exc)
            while not conn.is_connected and not self._stop.is_set():
                await asyncio.sleep(0.2)
            self._ready.set()

    async def _shutdown(self, conn: MqttConnection, writer: StoreWriter, app: StatusHttp) -> None:
        if self._pipeline is not None:
            self._pipeline.budget.open()  # paho's thread may wait for room: stop() joins it
        with contextlib.suppress(Exception):
            await conn.stop()
        await writer.close()
        await app.close()
        log.info(
            "ingest stopped messages=%d points=%d", self.metrics.messages_in, self.metrics.points_written
        )

    def mqtt_connected(self) -> bool:
        """The MQTT connection's live state (see ``MqttConnection.link_up``)."""
        return self._conn is not None and self._conn.link_up

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy while the MQTT session is up, its subscriptions granted and the last write done."""
        m = self.metrics
        connected = self.mqtt_connected()
        age = time.time() - m.last_write_unix if m.last_write_unix else None
        detail: dict[str, Any] = {
            "mqtt_connected": connected,
            "mqtt_last_cause": self._conn.last_cause if self._conn is not None else None,
            "store_ok": m.store_ok,
            "store": self._writer.description if self._writer else None,
            "queue_messages": m.queue_messages,
            "last_write_age_s": None if age is None else round(age, 3),
        }
        refused = dict(self._conn.refused) if self._conn is not None else {}
        if refused:
            detail["subscriptions_refused"] = refused
        return connected and m.store_ok and not refused, detail

    async def _status_loop(self) -> None:
        m = self.metrics
        last_points, last_t = m.points_written, time.monotonic()
        while True:
            await asyncio.sleep(self.settings.status_interval_s)
            now = time.monotonic()
            rate = (m.points_written - last_points) / (now - last_t)
            last_points, last_t = m.points_written, now
            age = f"{time.time() - m.last_write_unix:.1f}" if m.last_write_unix else "never"
            log.info(
                "status points_per_s=%.0f queue_messages=%d queue_points=%d last_write_age_s=%s "
                "store_ok=%s deadletters=%d retries=%d",
                rate,
                m.queue_messages,
                m.queue_points,
                age,
                m.store_ok,
                sum(m.deadletters.values()),
                m.write_retries,
            )
