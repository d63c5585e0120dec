"""Delivery guarantees: a store outage and a SIGKILLed ingest lose and duplicate nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from iiot_core import codec
from iiot_core.model import Telemetry
from iiot_core.mqtt import MqttConnection
from tests.ingest_service.helpers import (
    http_get,
    publisher,
    running,
    settings,
    stream,
    topic_of,
    wait_for,
)
from tests.ingest_service.test_ingest_sqlite import sqlite_seqs
from tests.support.servers import Influxd, Mosquitto, free_port

REPO = Path(__file__).resolve().parents[2]


async def paced(pub: MqttConnection, msgs: list[Telemetry], per_s: float) -> None:
    """Publish at a steady rate, every message acknowledged by the broker."""
    futs = []
    for i, m in enumerate(msgs):
        futs.append(pub.publish(topic_of(m), codec.encode(m)))
        if i % 10 == 9:
            await asyncio.sleep(10 / per_s)
    await asyncio.wait_for(asyncio.gather(*futs), 20)


def influx_seqs(influx: Influxd) -> dict[str, list[int]]:
    res = influx.query("SELECT seq FROM telemetry GROUP BY device")["results"][0]  # type: ignore[index]
    return {s["tags"]["device"]: [v[1] for v in s["values"]] for s in res.get("series", [])}


async def test_store_outage_loses_nothing(broker: Mosquitto, influx: Influxd, tmp_path: Path) -> None:
    cfg = settings(broker.url, influx.store_url(), tmp_path, client_id="outage-ingest")
    msgs = stream(devices=3, count=200)
    async with running(cfg) as svc, publisher(broker.url) as pub:
        sending = asyncio.create_task(paced(pub, msgs, per_s=200))
        await wait_for(lambda: svc.metrics.messages_stored > 50, what="first writes")
        await asyncio.to_thread(influx.stop)
        await wait_for(lambda: svc.metrics.write_retries >= 2, what="failing writes")
        health = json.loads(await http_get(f"http://127.0.0.1:{svc.http_port}/health"))
        assert health["status"] == "degraded" and not health["store_ok"]
        assert svc.metrics.queue_messages > 0
        await asyncio.sleep(1.0)
        await asyncio.to_thread(influx.start)
        await sending
        await wait_for(lambda: svc.metrics.messages_stored >= len(msgs), 15, "catch-up")
        assert svc.metrics.store_ok and svc.metrics.queue_messages == 0
    assert influx_seqs(influx) == {f"m{d}": list(range(1, 201)) for d in range(3)}


def start_ingest(broker: Mosquitto, db: Path, tmp: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ZCF_MQTT_URL": broker.url, "PYTHONPATH": str(REPO)}
    args = ["--store", f"sqlite:///{db}", "--client-id", "kill-ingest", "--http-port", "-1"]
    log = (tmp / "ingest.log").open("ab")
    cmd = [sys.executable, "-m", "zcf.cli", "ingest", *args, *extra]
    return subprocess.Popen(cmd, env=env, cwd=tmp, stdout=log, stderr=log)


def row_count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=5) as c:
        try:
            return int(c.execute("SELECT count(*) FROM samples").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def metric(text: bytes, name: str) -> float:
    for line in text.decode().splitlines():
        if line.startswith(f"zcf_ingest_{name} "):
            return float(line.split()[1])
    return -1.0


async def scrape(port: int) -> bytes:
    try:
        return await http_get(f"http://127.0.0.1:{port}/metrics")
    except OSError:
        return b""


@contextlib.contextmanager
def killed_at_exit(procs: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    try:
        yield
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


async def test_sigkill_mid_stream_loses_and_duplicates_nothing(broker: Mosquitto, tmp_path: Path) -> None:
    db = tmp_path / "zcf.db"
    msgs = stream(devices=2, count=300, points=2)
    a, b, c = msgs[:100], msgs[100:200], msgs[200:]
    procs: list[subprocess.Popen[bytes]] = []
    with killed_at_exit(procs):
        async with publisher(broker.url) as pub:
            # 1. Ingest receives batch a but holds its acks (3 s batch age): SIGKILL.
            port = free_port()
            procs.append(start_ingest(broker, db, tmp_path, "--batch-age", "3", "--http-port", str(port)))
            await wait_for_metric(port, "mqtt_connected", 1)
            await asyncio.sleep(0.3)
            await paced(pub, a, per_s=1000)
            await wait_for_metric(port, "messages_total", len(a))
            assert metric(await scrape(port), "points_written_total") == 0
            procs[-1].send_signal(signal.SIGKILL)
            procs[-1].wait()
            assert row_count(db) == 0
            # 2. Batch b is queued in the persistent session while no ingest runs.
            await paced(pub, b, per_s=1000)
            # 3. A new process gets a and b redelivered, then the first 125 of c; it writes
            # full batches of 50 messages only (100 points, no age limit within the test),
            # so 300 messages are written and 25 received but unwritten: SIGKILL.
            port = free_port()
            args = ("--batch-points", "100", "--batch-age", "60", "--http-port", str(port))
            procs.append(start_ingest(broker, db, tmp_path, *args))
            await wait_for_metric(port, "mqtt_connected", 1)
            c1, c2 = c[:125], c[125:]
            await paced(pub, c1, per_s=300)
            published = len(a) + len(b) + len(c1)
            await wait_for_metric(port, "messages_total", published)
            await wait_for_metric(port, "points_written_total", 300 * 2)
            procs[-1].send_signal(signal.SIGKILL)
            procs[-1].wait()
            assert row_count(db) == 300 * 2 < published * 2  # the kill hit unwritten messages
            # 4. A third process gets the rest of c redelivered or queued, then stops cleanly.
            procs.append(start_ingest(broker, db, tmp_path))
            await paced(pub, c2, per_s=300)
            await wait_for(lambda: row_count(db) >= len(msgs) * 2, 15, "every row")
            procs[-1].send_signal(signal.SIGTERM)
            assert procs[-1].wait(10) == 0
    assert row_count(db) == len(msgs) * 2
    assert sqlite_seqs(db) == {"m0": list(range(1, 301)), "m1": list(range(1, 301))}


async def wait_for_metric(port: int, name: str, value: float, timeout_s: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while metric(await scrape(port), name) != value:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"metric {name} never reached {value}")
        await asyncio.sleep(0.1)
