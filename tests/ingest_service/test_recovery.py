"""Rejections by the store and broker restarts: each message ends up stored or dead-lettered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho

from iiot_core.model import Telemetry
from iiot_core.store import Record, StoreRejected, StoreWriter
from iiot_core.store.influx_v1 import InfluxV1Writer
from iiot_core.store.url import parse_store_url
from ingest_service.service import IngestService
from tests.iiot_core.store.test_writers import influx_write, influxd_max_body
from tests.ingest_service.helpers import (
    deadletter_watcher,
    publish_msgs,
    publisher,
    running,
    settings,
    stream,
    wait_for,
)
from tests.ingest_service.test_delivery import influx_seqs
from tests.support.samples import make_msg, now_ms
from tests.support.servers import Influxd, Mosquitto


class StopsInfluxOnRejection(InfluxV1Writer):
    """The real InfluxDB 1.x writer; the first time the store refuses a single message, it
    stops the server, so the store goes down halfway through splitting a refused batch."""

    def __init__(self, influx: Influxd) -> None:
        super().__init__(parse_store_url(influx.store_url()))
        self.influx = influx
        self.stopped = False

    async def write(self, batch: Sequence[Record]) -> int:
        try:
            return await super().write(batch)
        except StoreRejected:
            if len(batch) == 1 and not self.stopped:
                self.stopped = True
                await asyncio.to_thread(self.influx.stop)
            raise


class CountingWriter(InfluxV1Writer):
    """The real InfluxDB 1.x writer, noting how many messages each write call carried."""

    def __init__(self, influx: Influxd) -> None:
        super().__init__(parse_store_url(influx.store_url()))
        self.calls: list[int] = []

    async def write(self, batch: Sequence[Record]) -> int:
        self.calls.append(len(batch))
        return await super().write(batch)


class IngestWith(IngestService):
    """An ingest service writing through a given writer."""

    def __init__(self, *args: Any, writer: StoreWriter, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.given_writer = writer

    async def open_store(self) -> StoreWriter:
        await self.given_writer.check()
        return self.given_writer


async def _with_a_type_conflict(influx: Influxd, at: int) -> list[Telemetry]:
    """Messages seq 1..10 of m0, and at index ``at`` seq 99, whose float the store refuses:
    its field already holds a string."""
    t0 = now_ms() - 60_000
    body = f'telemetry,area=a1,device=m0,line=l1,site=s1 odd="text" {t0}\n'.encode()
    await asyncio.to_thread(influx_write, influx, body)
    msgs = [make_msg("m0", i, t0 + i * 1000, {"p0": float(i)}) for i in range(1, 11)]
    msgs.insert(at, make_msg("m0", 99, t0 + 99_000, {"odd": 1.0}))
    return msgs


async def test_rows_the_store_refuses_are_deadlettered(
    broker: Mosquitto, influx: Influxd, tmp_path: Path
) -> None:
    msgs = await _with_a_type_conflict(influx, at=5)
    letters: list[paho.MQTTMessage] = []
    watcher = deadletter_watcher(broker.url, letters)
    await watcher.start(wait_s=5)
    cfg = settings(broker.url, influx.store_url(), tmp_path, batch_max_age_s=0.3)
    async with running(cfg) as svc, publisher(broker.url) as pub:
        await publish_msgs(pub, msgs)
        await wait_for(lambda: svc.metrics.queue_messages == 0 and svc.metrics.messages_in == 11)
        await wait_for(lambda: len(letters) == 1, what="dead letter")
    await watcher.stop()
    doc = json.loads(letters[0].payload)
    assert doc["cause"] == "store_rejected" and "type conflict" in doc["detail"]
    assert json.loads(doc["payload"])["seq"] == 99
    assert influx_seqs(influx)["m0"] == list(range(1, 11))


async def test_an_outage_while_splitting_a_refused_batch_deadletters_once(
    broker: Mosquitto, influx: Influxd, tmp_path: Path
) -> None:
    msgs = await _with_a_type_conflict(influx, at=0)  # refused, then the store goes
    letters: list[paho.MQTTMessage] = []
    watcher = deadletter_watcher(broker.url, letters)
    await watcher.start(wait_s=5)
    writer = StopsInfluxOnRejection(influx)
    cfg = settings(broker.url, influx.store_url(), tmp_path, batch_max_age_s=0.3)
    async with running(cfg, IngestWith(cfg, writer=writer)) as svc, publisher(broker.url) as pub:
        await publish_msgs(pub, msgs)
        await wait_for(lambda: svc.metrics.write_retries >= 1, what="the outage")
        await asyncio.to_thread(influx.start)
        await wait_for(lambda: svc.metrics.queue_messages == 0 and svc.metrics.messages_in == 11)
        await asyncio.sleep(0.3)  # a second dead letter would arrive by now
    await watcher.stop()
    assert writer.stopped
    assert len(letters) == 1 and json.loads(json.loads(letters[0].payload)["payload"])["seq"] == 99
    assert dict(svc.metrics.deadletters) == {"store_rejected": 1}
    assert influx_seqs(influx)["m0"] == list(range(1, 11))


async def test_a_batch_over_the_store_body_limit_is_split_not_retried_forever(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """HTTP 413 refuses the body, not the store: the batch is written in halves (a few
    requests, not one per message), and only a message too large on its own is dead-lettered."""
    letters: list[paho.MQTTMessage] = []
    watcher = deadletter_watcher(broker.url, letters)
    await watcher.start(wait_s=5)
    msgs = stream(devices=2, count=30)  # ~100 bytes of line protocol each
    huge = make_msg("m9", 1, values={f"p{k}": float(k) for k in range(300)})  # ~3 kB
    with influxd_max_body(tmp_path / "influxd", 1500) as influx:
        cfg = settings(broker.url, influx.store_url(), tmp_path, batch_max_age_s=0.5)
        writer = CountingWriter(influx)
        svc = IngestWith(cfg, writer=writer)
        async with running(cfg, svc), publisher(broker.url) as pub:
            await publish_msgs(pub, [*msgs, huge])
            await wait_for(lambda: svc.metrics.queue_messages == 0 and svc.metrics.messages_in == 61)
            await wait_for(lambda: len(letters) == 1, what="dead letter")
            assert dict(svc.metrics.deadletters) == {"store_rejected": 1}
        await watcher.stop()
        assert influx_seqs(influx) == {"m0": list(range(1, 31)), "m1": list(range(1, 31))}
    assert len(writer.calls) <= 30  # message by message, it takes 62 writes
    doc = json.loads(letters[0].payload)
    assert doc["cause"] == "store_rejected" and "413" in doc["detail"]
    assert json.loads(doc["payload"])["device"] == "m9"


async def test_reconnect_before_the_write_still_acks_everything(
    broker: Mosquitto, influx: Influxd, tmp_path: Path
) -> None:
    """Acks of messages from a dead connection are not sent; the redelivered copies are."""
    cfg = settings(
        broker.url, influx.store_url(), tmp_path, client_id="reconnect-ingest", batch_max_age_s=1.5
    )
    msgs = stream(devices=2, count=40)
    async with running(cfg) as svc:
        async with publisher(broker.url) as pub:
            await publish_msgs(pub, msgs)
        await wait_for(lambda: svc.metrics.messages_in == len(msgs), what="received")
        # Drop the network connection before the 1.5 s batch is written: paho reconnects
        # and the broker resends every unacknowledged message of the session.
        assert svc._conn is not None
        sock = svc._conn._client.socket()
        assert sock is not None
        sock.close()
        await wait_for(lambda: svc.metrics.messages_in >= 2 * len(msgs), 15, "redelivery")
        await wait_for(lambda: svc.metrics.queue_messages == 0, 15, "written")
    assert influx_seqs(influx) == {"m0": list(range(1, 41)), "m1": list(range(1, 41))}
    async with running(cfg) as again:
        await asyncio.sleep(0.5)
        assert again.metrics.messages_in == 0  # nothing left unacknowledged in the session
