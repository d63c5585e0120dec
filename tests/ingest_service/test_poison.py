"""Poison messages: whatever a store's writer raises for one message, ingest goes on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import paho.mqtt.client as paho

from iiot_core.store import Record
from iiot_core.store.sqlite import SqliteWriter
from iiot_core.store.url import parse_store_url
from tests.ingest_service.helpers import (
    deadletter_watcher,
    publish_msgs,
    publisher,
    running,
    settings,
    stream,
    wait_for,
)
from tests.ingest_service.test_ingest_sqlite import sqlite_seqs
from tests.ingest_service.test_recovery import IngestWith
from tests.support.samples import make_msg
from tests.support.servers import Mosquitto


class ChokesOn(SqliteWriter):
    """The real SQLite writer, failing the way nobody foresaw on any batch that holds a
    message of one device: the next poison will not look like the last one."""

    def __init__(self, db: Path, device: str) -> None:
        super().__init__(parse_store_url(f"sqlite:///{db}"))
        self.device = device
        self.failed = 0

    async def write(self, batch: Sequence[Record]) -> int:
        if any(msg.device == self.device for _m, msg in batch):
            self.failed += 1
            raise RuntimeError(f"cannot store a message of {self.device}")
        return await super().write(batch)


async def test_any_exception_of_the_writer_deadletters_only_the_messages_at_fault(
    broker: Mosquitto, tmp_path: Path
) -> None:
    db = tmp_path / "zcf.db"
    good = stream(devices=2, count=40, points=2)
    poison = [make_msg("px", i, good[0].ts + i) for i in (1, 2)]
    msgs = [*good[:30], poison[0], *good[30:60], poison[1], *good[60:]]
    letters: list[paho.MQTTMessage] = []
    watcher = deadletter_watcher(broker.url, letters)
    await watcher.start(wait_s=5)
    cfg = settings(broker.url, f"sqlite:///{db}", tmp_path, client_id="poison", batch_max_age_s=0.3)
    writer = ChokesOn(db, "px")
    async with running(cfg, IngestWith(cfg, writer=writer)) as svc, publisher(broker.url) as pub:
        await publish_msgs(pub, msgs)
        await wait_for(lambda: svc.metrics.messages_in == len(msgs) and svc.metrics.queue_messages == 0)
        await wait_for(lambda: len(letters) == 2, what="two dead letters")
        assert dict(svc.metrics.deadletters) == {"store_error": 2}
        assert svc.metrics.write_retries == 0  # not mistaken for an outage
    assert writer.failed >= 2
    docs = [json.loads(m.payload) for m in letters]
    assert sorted(json.loads(d["payload"])["seq"] for d in docs) == [1, 2]
    for doc in docs:
        assert doc["cause"] == "store_error"
        assert doc["detail"] == "RuntimeError: cannot store a message of px"
    assert sqlite_seqs(db) == {"m0": list(range(1, 41)), "m1": list(range(1, 41))}
    # Every message was acked, the poison too: a restart gets nothing redelivered.
    async with running(cfg, IngestWith(cfg, writer=ChokesOn(db, "px"))) as again:
        await asyncio.sleep(0.5)
        assert again.metrics.messages_in == 0
    await watcher.stop()
