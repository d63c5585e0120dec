"""Batching, writing and acknowledging: the path from a received message to a durable write.

Messages are validated on arrival (the event loop, handed over by paho's thread) and
appended to the open batch; a batch is sealed when it holds ``batch_max_points`` points
or is ``batch_max_age_s`` old. One writer task writes sealed batches in order, retrying
with capped exponential backoff and jitter while the store is down, and only then sends
the PUBACKs of every message in the batch, good or dead-lettered. Only an outage (store
down or unreachable) is retried: whatever else the store raises for a batch, it is split
until the messages at fault are found, and those are dead-lettered. Memory stays bounded
by ``max_queued_points``: paho's network thread waits for room (``PointBudget``) before it
hands a message over, so while the store is down ingest stops reading from the broker.

A PUBACK is only sent on the network connection that delivered the message: after a
reconnect the broker resends everything unacknowledged, and those copies get acked when
their own batch is written (an old message id may already name a new message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from iiot_core import topics
from iiot_core.codec import encode
from iiot_core.errors import StoreError, WireError
from iiot_core.mqtt_inbound import Inbound
from iiot_core.store import Record, StoreRejected, StoreWriter, is_outage
from ingest_service.budget import PointBudget
from ingest_service.config import IngestSettings
from ingest_service.metrics import Metrics
from ingest_service.validation import Validator, deadletter_payload, deadletter_topic

log = logging.getLogger(__name__)

CommitHook = Callable[[Sequence[Record]], None]


class Broker(Protocol):
    """What the pipeline needs of the MQTT connection (iiot_core.mqtt.MqttConnection)."""

    connect_count: int

    @property
    def is_connected(self) -> bool: ...

    def ack(self, mid: int, qos: int) -> None: ...

    def ack_many(self, mids: list[int]) -> None: ...

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> asyncio.Future[None]: ...


class Batch:
    """Records to write plus the acknowledgements that wait for them."""

    __slots__ = ("acks", "deadletters", "held", "points", "records", "started")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.acks: list[tuple[int, int, int]] = []  # (mid, qos, connection epoch)
        self.deadletters: list[asyncio.Future[None]] = []
        self.points = 0
        self.held = 0  # its share of the PointBudget: points, and 1 per dead letter
        self.started = time.monotonic()


class Pipeline:
    """Owns the open batch, the sealed queue and the writer loop."""

    def __init__(
        self,
        writer: StoreWriter,
        broker: Broker,
        settings: IngestSettings,
        metrics: Metrics,
        on_commit: CommitHook | None = None,
    ) -> None:
        self.writer = writer
        self.broker = broker
        self.settings = settings
        self.metrics = metrics
        self.on_commit = on_commit
        self.validator = Validator()
        self.budget = PointBudget(settings.max_queued_points)
        self._open: Batch | None = None
        self._sealed: deque[Batch] = deque()
        self._wake = asyncio.Event()
        self._interrupt = asyncio.Event()
        self._epoch = 0
        self._stopping = False
        self._give_up_at = float("inf")
        self._causes_seen: set[str] = set()
        self._store_failing = False
        self._acking: set[asyncio.Task[None]] = set()  # acks waiting for dead-letter PUBACKs

    # -- receiving (event loop, one call per MQTT message) ---------------------------------

    def on_connect(self) -> None:
        """Called on the loop after every (re)connect, in order with the messages."""
        self._epoch += 1

    def on_messages(self, msgs: list[Inbound]) -> None:
        """Validate a run of received messages into the open batch (sealing full ones)."""
        if self._stopping:
            return  # not acked: the persistent session redelivers them to the next run
        m = self.metrics
        m.messages_in += len(msgs)
        m.queue_messages += len(msgs)
        check, epoch, limit = self.validator.check, self._epoch, self.settings.batch_max_points
        now_ms = time.time_ns() // 1_000_000
        held: list[int] = []
        batch = self._open
        for topic, payload, mid, qos in msgs:
            if batch is None:
                batch = self._open = Batch()
                self._wake.set()  # starts the age timer
            try:
                record = check(topic, payload, now_ms)
            except WireError as err:
                self._deadletter(batch, topic, payload, err)
                n = 0
            except Exception as exc:  # a bug in validation must not stop the run, nor lose it
                log.exception("validating a message failed topic=%s", topic)
                self._deadletter(batch, topic, payload, WireError("ingest_error", _describe(exc)))
                n = 0
            else:
                n = len(record[1].points)
                batch.records.append(record)
                batch.points += n
                m.queue_points += n
            h = n or 1  # a dead letter waits in paho's queue until it is sent
            batch.held += h
            held.append(h)
            batch.acks.append((mid, qos, epoch))
            if batch.points >= limit:
                self._seal()
                batch = None
        self.budget.count(held)

    def _deadletter(self, batch: Batch, topic: str, payload: bytes, err: WireError) -> None:
        self.metrics.deadletters[err.cause] += 1
        if err.cause not in self._causes_seen:
            self._causes_seen.add(err.cause)
            log.warning(
                "invalid message dead-lettered cause=%s topic=%s detail=%s "
                "(further ones of this cause are logged at debug level)",
                err.cause,
                topic,
                err.detail[:300],
            )
        else:
            log.debug("invalid message cause=%s topic=%s detail=%s", err.cause, topic, err.detail)
        body = deadletter_payload(topic, payload, err, time.time_ns() // 1_000_000)
        fut = self.broker.publish(deadletter_topic(topic), body, qos=1)
        batch.deadletters.append(fut)

    def _seal(self) -> None:
        if self._open is not None:
            self._sealed.append(self._open)
            self._open = None
            self._wake.set()

    # -- writing ------------------------------------------------------------------------------

    def stop(self, grace_s: float) -> None:
        """Stop taking messages; flush what is held, retrying for at most ``grace_s``."""
        self._stopping = True
        self.budget.open()
        self._give_up_at = time.monotonic() + grace_s
        self._wake.set()
        self._interrupt.set()

    async def run(self) -> None:
        """Write batches until stopped and drained (or the grace period is over)."""
        try:
            while (batch := await self._next_batch()) is not None:
                if not await self._commit(batch):
                    log.warning(
                        "stopping with %d messages unwritten; the broker keeps them",
                        self.metrics.queue_messages,
                    )
                    return
        finally:
            if self._acking:
                await asyncio.gather(*self._acking, return_exceptions=True)

    async def _next_batch(self) -> Batch | None:
        max_age = self.settings.batch_max_age_s
        while True:
            if self._sealed:
                return self._merge_sealed()
            batch = self._open
            if batch is not None and (self._stopping or time.monotonic() - batch.started >= max_age):
                self._seal()
                continue
            if self._stopping:
                return None
            self._wake.clear()
            wait = None if batch is None else max_age - (time.monotonic() - batch.started)
            try:
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _merge_sealed(self) -> Batch:
        """The oldest sealed batch, with the next ones merged in while they fit; after an
        outage this writes the backlog in full-size batches rather than many small ones."""
        batch = self._sealed.popleft()
        limit = self.settings.batch_max_points
        while self._sealed and batch.points + self._sealed[0].points <= limit:
            nxt = self._sealed.popleft()
            batch.records += nxt.records
            batch.acks += nxt.acks
            batch.deadletters += nxt.deadletters
            batch.points += nxt.points
            batch.held += nxt.held
        return batch

    async def _commit(self, batch: Batch) -> bool:
        """Write with retries, then ack; False if given up (stopping during an outage)."""
        delay = self.settings.retry_min_s
        while True:
            try:
                await self._write(batch)
                break
            except Exception as exc:
                if not is_outage(exc):
                    raise  # not raised by _write, which isolates the messages at fault
                self._note_failure(exc)
            pause = random.uniform(delay / 2, delay)
            if self._stopping:
                left = self._give_up_at - time.monotonic()
                if left <= 0:
                    return False
                await asyncio.sleep(min(pause, left))
            else:
                await self._pause(pause)
            delay = min(delay * 2, self.settings.retry_max_s)
        self.metrics.queue_points -= batch.points
        self.budget.release(batch.held)
        if batch.deadletters:
            # Their PUBACKs may be queued behind messages paho's thread holds back until
            # there is room: wait for them aside, not in the writer.
            task = asyncio.create_task(self._ack(batch))
            self._acking.add(task)
            task.add_done_callback(self._acking.discard)
        else:
            await self._ack(batch)
        return True

    async def _pause(self, seconds: float) -> None:
        """Back off, but wake at once when ``stop`` is called."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._interrupt.wait()

    async def _write(self, batch: Batch) -> None:
        t0 = time.perf_counter()
        try:
            points = await self.writer.write(batch.records)
        except Exception as exc:
            if is_outage(exc):
                raise
            points = await self._write_refused(batch, exc)
        self.metrics.observe_write(time.perf_counter() - t0, points, len(batch.acks))
        if self._store_failing:
            self._store_failing = False
            log.info("store writable again store=%s", self.writer.description)
        if self.on_commit is not None:
            self.on_commit(batch.records)

    async def _write_refused(self, batch: Batch, exc: Exception) -> int:
        """The store refused the batch, or its writer raised anything but an outage: write
        it in halves, down to single messages where needed, and dead-letter the messages
        that fail on their own, whatever the exception, so that no message stops ingest.

        Halving keeps a batch over the store's size limit (HTTP 413) to a few requests and
        finds one bad message among n in about 2*log2(n). A refused message leaves
        ``batch.records`` even if the store fails later on, so the retry after that outage
        neither writes nor dead-letters it a second time."""
        records = batch.records
        log.warning(
            "store refused a batch of %d messages, writing it in parts: %s",
            len(records),
            _describe(exc),
            exc_info=not isinstance(exc, StoreError),  # a writer's own failure: keep the trace
        )
        refused: set[int] = set()
        try:
            return await self._write_part(batch, refused, 0, len(records), exc)
        finally:
            batch.records = [r for i, r in enumerate(records) if i not in refused]

    async def _write_part(self, batch: Batch, refused: set[int], lo: int, hi: int, exc: Exception) -> int:
        """``batch.records[lo:hi]`` failed with ``exc`` (not an outage): split it, or dead-letter one."""
        records = batch.records
        if hi - lo == 1:
            refused.add(lo)
            record = records[lo]
            self._deadletter(batch, _topic_of(record), encode(record[1]), _store_cause(exc))
            return 0
        points, mid = 0, (lo + hi) // 2
        for a, b in ((lo, mid), (mid, hi)):
            try:
                points += await self.writer.write(records[a:b])
            except Exception as part:
                if is_outage(part):
                    raise
                points += await self._write_part(batch, refused, a, b, part)
        return points

    def _note_failure(self, exc: Exception) -> None:
        m = self.metrics
        m.write_retries += 1
        m.store_ok = False
        if not self._store_failing:
            self._store_failing = True
            log.error("store write failed, holding acks and retrying: %s", exc)
        else:
            log.debug("store write failed again: %s", exc)

    async def _ack(self, batch: Batch) -> None:
        if batch.deadletters:
            done, pending = await asyncio.wait(batch.deadletters, timeout=5)
            for fut in done:
                if fut.exception() is not None:
                    log.debug("dead letter not confirmed: %s", fut.exception())
            for fut in pending:
                fut.cancel()
        broker = self.broker
        current = broker.connect_count if broker.is_connected else -1
        mids = [mid for mid, qos, epoch in batch.acks if qos == 1 and epoch == current]
        broker.ack_many(mids)
        for mid, qos, epoch in batch.acks:
            if qos == 2 and epoch == current:
                broker.ack(mid, qos)
        self.metrics.queue_messages -= len(batch.acks)


def _describe(exc: BaseException) -> str:
    """The exception text, with its type where it is not one of ours (``OverflowError: ...``)."""
    return str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"


def _store_cause(exc: Exception) -> WireError:
    """The dead-letter cause of a message the store failed on by itself: ``store_rejected``
    when the store refused it, ``store_error`` when its writer raised anything else."""
    return WireError("store_rejected" if isinstance(exc, StoreRejected) else "store_error", _describe(exc))


def _topic_of(record: Record) -> str:
    measurement, msg = record
    build = topics.telemetry if measurement == "telemetry" else topics.result
    return build(msg.site, msg.area, msg.line, msg.device)
