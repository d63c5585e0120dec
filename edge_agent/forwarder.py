"""Publishing with store-and-forward: write to the outbox, publish, delete on PUBACK.

Live messages are published as soon as their batch is on disk. Messages that could not be
published (no broker, no PUBACK) stay in the outbox and are replayed oldest first, marked
``historical=True``, through a bounded window, so that replay never starves live data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from functools import partial

import msgspec

from edge_agent.outbox import Outbox, OutboxError, OutboxWorker
from iiot_core import codec
from iiot_core.clock import now_ms
from iiot_core.model import Telemetry
from iiot_core.mqtt import MqttConnection

log = logging.getLogger(__name__)

_MAX_BATCH = 2000
_GROUP_COMMIT_S = 0.005
_DELETE_EVERY_S = 0.2
_LIMITS_EVERY_S = 1.0
_telemetry = msgspec.json.Decoder(Telemetry)


@dataclass
class ForwarderStats:
    """Counters reported in the status line."""

    submitted: int = 0
    published: int = 0
    replayed: int = 0
    failed: int = 0
    dropped_age: int = 0
    dropped_size: int = 0
    by_device: dict[str, int] = field(default_factory=dict)


class Forwarder:
    """Owns the outbox and the publishing of telemetry through one MQTT connection."""

    def __init__(self, outbox: Outbox, replay_window: int = 200, queue_size: int = 10_000) -> None:
        self.outbox = outbox
        self.stats = ForwarderStats()
        self._worker = OutboxWorker(outbox)
        self._queue: asyncio.Queue[tuple[str, Telemetry]] = asyncio.Queue(queue_size)
        self._conn: MqttConnection | None = None
        self._seqs: dict[str, int] = {}
        self._inflight: set[int] = set()
        self._acked: set[int] = set()
        self._db_lock = asyncio.Lock()
        self._window = asyncio.Semaphore(replay_window)
        self._wake = asyncio.Event()
        self.oldest_ms: int | None = None  # oldest outbox message, refreshed every second

    # -- set-up ------------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the outbox file and load the last sequence numbers."""
        await self._worker.call(self.outbox.open)
        self._seqs = await self._worker.call(self.outbox.load_seqs)
        if self.outbox.count:
            log.info("buffer holds %d messages to replay path=%s", self.outbox.count, self.outbox.path)

    def attach(self, conn: MqttConnection) -> None:
        self._conn = conn

    def next_seq(self, device: str) -> int:
        """The next sequence number of ``device`` (continues across restarts)."""
        seq = self._seqs.get(device, 0) + 1
        self._seqs[device] = seq
        return seq

    def wake(self) -> None:
        """Ask the replayer to look at the outbox (called on every MQTT connect)."""
        self._wake.set()

    @property
    def buffered(self) -> int:
        return self.outbox.count

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    async def submit(self, topic: str, msg: Telemetry) -> None:
        """Queue one message; waits only if the writer is a whole queue behind (backpressure)."""
        self.stats.submitted += 1
        await self._queue.put((topic, msg))

    # -- tasks -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Writer, replayer and housekeeping, until cancelled."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._writer(), name="outbox-writer")
            tg.create_task(self._replayer(), name="outbox-replayer")
            tg.create_task(self._housekeeping(), name="outbox-housekeeping")

    async def close(self, drain_s: float = 2.0) -> None:
        """Store what is queued, wait briefly for outstanding PUBACKs, close the file."""
        await self._write_batch(self._drain_queue([]))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_s):
                while self._inflight:
                    await asyncio.sleep(0.02)
        await self._delete_acked()
        await self._worker.close()

    async def _writer(self) -> None:
        while True:
            first = await self._queue.get()
            # Group commit: a few ms of latency lets concurrent polls share one transaction.
            await asyncio.sleep(_GROUP_COMMIT_S)
            await self._write_batch(self._drain_queue([first]))

    def _drain_queue(self, batch: list[tuple[str, Telemetry]]) -> list[tuple[str, Telemetry]]:
        # Whatever queued up during the previous disk write goes into this one (group commit).
        while len(batch) < _MAX_BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _write_batch(self, batch: list[tuple[str, Telemetry]]) -> None:
        if not batch:
            return
        rows = [(topic, codec.encode(msg), msg.ts) for topic, msg in batch]
        seqs = {msg.device: msg.seq for _, msg in batch}
        async with self._db_lock:
            try:
                ids = await self._worker.call(self.outbox.append, rows, seqs)
            except OutboxError as exc:
                self._publish_unbuffered(rows, exc)
                return
            conn = self._conn
            if conn is None or not conn.is_connected:
                return
            for row_id, (topic, payload, _) in zip(ids, rows, strict=True):
                self._send(conn, row_id, topic, payload, historical=False)

    def _publish_unbuffered(self, rows: list[tuple[str, bytes, int]], exc: OutboxError) -> None:
        # A broken disk must not silence the plant: publish what we can, say loudly what is lost.
        log.error("buffer write failed, publishing %d messages unbuffered: %s", len(rows), exc)
        conn = self._conn
        if conn is not None and conn.is_connected:
            for topic, payload, _ in rows:
                conn.publish(topic, payload, qos=1).add_done_callback(_ignore_result)
        else:
            self.stats.failed += len(rows)

    def _send(self, conn: MqttConnection, row_id: int, topic: str, payload: bytes, historical: bool) -> None:
        self._inflight.add(row_id)
        fut = conn.publish(topic, payload, qos=1)
        fut.add_done_callback(partial(self._on_done, row_id, historical))

    def _on_done(self, row_id: int, historical: bool, fut: asyncio.Future[None]) -> None:
        self._inflight.discard(row_id)
        if historical:
            self._window.release()
        if fut.cancelled() or fut.exception() is not None:
            self.stats.failed += 1
            self._wake.set()  # it stays in the outbox: replay it once the broker is back
            return
        self._acked.add(row_id)
        if historical:
            self.stats.replayed += 1
        else:
            self.stats.published += 1

    async def _replayer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._replay_pass()

    async def _replay_pass(self) -> None:
        cursor = 0
        while (conn := self._conn) is not None and conn.is_connected:
            async with self._db_lock:
                rows = await self._worker.call(self.outbox.oldest, cursor, 500)
                if not rows:
                    return
                cursor = rows[-1].id
                todo = [r for r in rows if r.id not in self._inflight and r.id not in self._acked]
                # Claimed now, under the lock, so that no other pass or live send takes them.
                self._inflight.update(r.id for r in todo)
            for i, row in enumerate(todo):
                await self._window.acquire()
                if not conn.is_connected:
                    self._window.release()
                    self._inflight.difference_update(r.id for r in todo[i:])
                    return
                self._inflight.discard(row.id)
                self._send(conn, row.id, row.topic, _as_historical(row.payload), historical=True)

    async def _housekeeping(self) -> None:
        last_limits = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(_DELETE_EVERY_S)
            await self._delete_acked()
            if loop.time() - last_limits >= _LIMITS_EVERY_S:
                last_limits = loop.time()
                await self._enforce_limits()

    async def _delete_acked(self) -> None:
        if not self._acked:
            return
        done, self._acked = self._acked, set()
        try:
            await self._worker.call(self.outbox.delete, sorted(done))
        except BaseException:
            self._acked |= done  # keep them skipped by replay until a delete succeeds
            raise

    async def _enforce_limits(self) -> None:
        async with self._db_lock:
            dropped = await self._worker.call(self.outbox.enforce_limits, now_ms())
            self.oldest_ms = await self._worker.call(self.outbox.oldest_created_ms)
        if dropped.by_age or dropped.by_size:
            self.stats.dropped_age += dropped.by_age
            self.stats.dropped_size += dropped.by_size
            log.warning(
                "buffer limit: dropped oldest messages by_age=%d by_size=%d "
                "total_dropped_age=%d total_dropped_size=%d",
                dropped.by_age,
                dropped.by_size,
                self.stats.dropped_age,
                self.stats.dropped_size,
            )
        conn = self._conn
        if (
            conn is not None
            and conn.is_connected
            and self.outbox.count > len(self._inflight) + len(self._acked)
        ):
            self._wake.set()  # safety net: something is waiting in the outbox


def _ignore_result(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()  # mark retrieved: an unacknowledged unbuffered message is already logged


def _as_historical(payload: bytes) -> bytes:
    return codec.encode(msgspec.structs.replace(_telemetry.decode(payload), historical=True))
