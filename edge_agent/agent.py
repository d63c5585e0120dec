"""The agent runtime: one task per device, publishing through the store-and-forward outbox.

A device that fails or hangs only delays itself: every request has a timeout, failures back
off exponentially with jitter, and publishing never waits on the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from edge_agent.config import EdgeConfig
from edge_agent.config_devices import DeviceConfig
from edge_agent.drivers import Driver, DriverContext, make_driver
from edge_agent.forwarder import Forwarder
from edge_agent.health import Backoff, DeviceHealth
from edge_agent.outbox import Outbox
from edge_agent.status import AgentStatus
from iiot_core import codec, topics
from iiot_core.clock import now_ms
from iiot_core.errors import DriverError
from iiot_core.model import SCHEMA_VERSION, DeviceStatus, Point, Telemetry
from iiot_core.mqtt import MqttConnection, Will
from iiot_core.status_http import StatusHttp

log = logging.getLogger(__name__)

_BACKOFF_BASE_S = 0.5


class Agent:
    """An edge agent built from its config; ``run`` until ``stop`` (or cancellation)."""

    def __init__(self, cfg: EdgeConfig) -> None:
        self.cfg = cfg
        self.site = cfg.agent.site
        self.health = {d.name: DeviceHealth(d.name) for d in cfg.devices}
        self.forwarder = Forwarder(
            Outbox(cfg.buffer.path, cfg.buffer.max_bytes, cfg.buffer.max_age_s),
            replay_window=cfg.buffer.replay_window,
        )
        self._ctx = DriverContext(agent_id=cfg.agent.id)
        self.left_out = self._ctx.left_out  # points read but not published, for /metrics
        self._devices = {d.name: d for d in cfg.devices}
        self._stop = asyncio.Event()
        self._started = asyncio.Event()
        self.mqtt: MqttConnection | None = None
        self.status = AgentStatus(self)
        self.http: StatusHttp | None = None
        self.http_port: int | None = None  # bound port of /health and /metrics

    @property
    def agent_topic(self) -> str:
        return topics.agent_status(self.site, self.cfg.agent.id)

    def stop(self) -> None:
        """Ask ``run`` to finish: devices stop, queued messages are stored, status goes offline."""
        self._stop.set()

    async def wait_started(self) -> None:
        await self._started.wait()

    async def run(self) -> None:
        """Poll every device and publish until ``stop`` is called."""
        await self.forwarder.open()
        will = codec.encode(self._agent_status("offline", "connection lost"))
        self.mqtt = MqttConnection(
            self.cfg.mqtt,
            f"zcf-edge-{self.cfg.agent.id}",
            will=Will(self.agent_topic, will),
            on_connect=self._on_mqtt_connect,
        )
        self.forwarder.attach(self.mqtt)
        await self.mqtt.start()
        if self.cfg.agent.http_port is not None:
            await self._serve_status(self.cfg.agent.http_host, self.cfg.agent.http_port)
        log.info(
            "edge agent started id=%s site=%s devices=%d broker=%s:%s buffer=%s",
            self.cfg.agent.id, self.site, len(self._devices), self.mqtt.cfg.host,
            self.mqtt.cfg.port, self.cfg.buffer.path,
        )  # fmt: skip
        self._started.set()
        try:
            async with asyncio.TaskGroup() as tg:
                forwarder = tg.create_task(self.forwarder.run(), name="forwarder")
                workers = [
                    tg.create_task(self._device_loop(d), name=f"device-{d.name}") for d in self.cfg.devices
                ]
                workers.append(tg.create_task(self._status_loop(), name="status"))
                await self._stop.wait()
                # Devices first, so that nothing is left waiting on the outbox queue.
                for t in workers:
                    t.cancel()
                await asyncio.wait(workers, timeout=10)
                forwarder.cancel()
        finally:
            await self._shutdown()

    async def _serve_status(self, host: str, port: int) -> None:
        """Start /health and /metrics; a taken port is logged, and polling goes on without them."""
        http = StatusHttp(self.status.render, self.status.health)
        try:
            self.http_port = await http.serve(host, port)
        except OSError as exc:
            log.error("agent /health and /metrics not served address=%s:%d error=%s", host, port, exc)
            return
        self.http = http

    async def _shutdown(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.forwarder.close()
        mqtt = self.mqtt
        if mqtt is None:
            return
        # Every device, polled or not: a retained "online" left by an earlier run would lie too.
        final = [
            (self._device_topic(self._devices[n], "status"), codec.encode(h.stopped()), True)
            for n, h in self.health.items()
        ]
        final.append((self.agent_topic, codec.encode(self._agent_status("offline", "stopped")), True))
        with contextlib.suppress(Exception):
            await mqtt.stop(final=final)
        log.info("edge agent stopped id=%s buffered=%d", self.cfg.agent.id, self.forwarder.buffered)

    # -- devices ---------------------------------------------------------------------------

    async def _device_loop(self, dev: DeviceConfig) -> None:
        driver = make_driver(dev, self._ctx)
        health = self.health[dev.name]
        backoff = Backoff(_BACKOFF_BASE_S, self.cfg.agent.backoff_max_s)
        loop = asyncio.get_running_loop()
        connected = False
        try:
            next_at = loop.time()
            while True:
                _raise_if_cancelling()
                try:
                    if not connected:
                        await driver.connect()
                        connected = True
                    async with asyncio.timeout(_read_budget(dev, driver)):
                        points = await driver.read()
                except Exception as exc:  # a device's failure, even a bug, stays with that device
                    if not isinstance(exc, DriverError | TimeoutError) and health.online is not False:
                        log.exception("unexpected error polling device=%s", dev.name)
                    connected = False
                    self._device_failed(dev, health, exc, _read_budget(dev, driver))
                    await driver.close()
                    await asyncio.sleep(backoff.next_delay())
                    next_at = loop.time()
                    continue
                _raise_if_cancelling()
                health.unrecognised_states = driver.unrecognised_states
                backoff.reset()
                if health.succeeded():
                    self._publish_status(dev, health.status())
                await self._publish(dev, points)
                next_at = max(next_at + dev.poll_interval_s, loop.time())
                await asyncio.sleep(next_at - loop.time())
        finally:
            await driver.close()

    def _device_failed(
        self, dev: DeviceConfig, health: DeviceHealth, exc: Exception, budget_s: float
    ) -> None:
        error = str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError):
            error = f"poll took longer than {budget_s:.1f} s"
        if health.failed(error):
            self._publish_status(dev, health.status())

    async def _publish(self, dev: DeviceConfig, points: list[Point]) -> None:
        if not points:
            return
        msg = Telemetry(
            schema=SCHEMA_VERSION,
            site=self.site,
            area=dev.area,
            line=dev.line,
            device=dev.name,
            seq=self.forwarder.next_seq(dev.name),
            ts=now_ms(),
            points=points,
            agent=self.cfg.agent.id,
        )
        await self.forwarder.submit(self._device_topic(dev, "telemetry"), msg)

    # -- status ----------------------------------------------------------------------------

    def _device_topic(self, dev: DeviceConfig, kind: str) -> str:
        if kind == "status":
            return topics.device_status(self.site, dev.area, dev.line, dev.name)
        return topics.telemetry(self.site, dev.area, dev.line, dev.name)

    def _agent_status(self, state: str, detail: str) -> DeviceStatus:
        return DeviceStatus(SCHEMA_VERSION, state, now_ms(), detail, now_ms())

    def _publish_status(self, dev: DeviceConfig, status: DeviceStatus) -> None:
        self._publish_retained(self._device_topic(dev, "status"), codec.encode(status))

    def _publish_retained(self, topic: str, payload: bytes) -> None:
        mqtt = self.mqtt
        if mqtt is not None and mqtt.is_connected:
            # Status is state, not history: if this one is lost, the next connect republishes it.
            mqtt.publish(topic, payload, qos=1, retain=True).add_done_callback(_ignore)

    def _on_mqtt_connect(self) -> None:
        self._publish_all_status()
        self.forwarder.wake()

    def _publish_all_status(self) -> None:
        """The agent's status and every settled device's current one, retained.

        Sent on connect and with every heartbeat, not only on change: a retained status
        published by anyone else (a stale one, a forged ``offline``) lasts one heartbeat at most.
        """
        self._publish_retained(self.agent_topic, codec.encode(self._agent_status("online", "")))
        for name, h in self.health.items():
            if h.online is not None:
                self._publish_status(self._devices[name], h.status())

    async def _status_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_beat = loop.time()
        while True:
            await asyncio.sleep(self.cfg.agent.status_interval_s)
            log.info("%s", self.status_line())
            if loop.time() - last_beat >= self.cfg.agent.heartbeat_s:
                last_beat = loop.time()
                self._publish_all_status()

    def status_line(self) -> str:
        """One-line summary for the log: messages, buffer, devices ok/failing."""
        s = self.forwarder.stats
        failing = sorted(n for n, h in self.health.items() if h.online is False)
        ok = sum(1 for h in self.health.values() if h.online)
        mqtt = "up" if self.mqtt is not None and self.mqtt.is_connected else "down"
        return (
            f"status mqtt={mqtt} published={s.published} replayed={s.replayed} "
            f"buffered={self.forwarder.buffered} inflight={self.forwarder.inflight} "
            f"dropped={s.dropped_age + s.dropped_size} devices_ok={ok} "
            f"devices_failing={len(failing)}" + (f" failing={','.join(failing)}" if failing else "")
        )


def _read_budget(dev: DeviceConfig, driver: Driver | None) -> float:
    """Upper bound of one poll: the driver's own per-request timeouts fire well before."""
    requests = len(getattr(driver, "plan", ())) or 1
    return dev.timeout_s * (requests + 1) + 1.0


def _raise_if_cancelling() -> None:
    """Honour a cancellation that a library swallowed.

    Python 3.11's ``asyncio.wait_for`` (used inside pymodbus and asyncua) can drop a cancel
    that races with its result; the task then stays "cancelling" while running on.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _ignore(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()
