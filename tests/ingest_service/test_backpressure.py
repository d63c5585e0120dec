"""Ingest's own memory bound: with the store down it stops reading from the broker."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from iiot_core import codec
from iiot_core.mqtt_config import MqttConfig
from ingest_service.config import IngestSettings
from ingest_service.metrics import Metrics
from tests.ingest_service.helpers import (
    publish_msgs,
    publisher,
    running,
    settings,
    stream,
    topic_of,
    wait_for,
)
from tests.ingest_service.test_delivery import influx_seqs
from tests.support.servers import Influxd, Mosquitto

POINTS = 3  # per message, as built by ``stream``
LIMIT = 300  # max_queued_points


def _bounded(broker: Mosquitto, influx: Influxd, tmp_path: Path, client_id: str) -> IngestSettings:
    """MQTT 3.1.1 (no receive maximum) into InfluxDB, at most LIMIT points held, 30-message batches."""
    mqtt = MqttConfig(url=broker.url, protocol=4, reconnect_min_s=0.2, reconnect_max_s=1)
    return settings(
        broker.url,
        influx.store_url(),
        tmp_path,
        mqtt=mqtt,
        client_id=client_id,
        max_queued_points=LIMIT,
        batch_max_points=90,
    )


async def _track_peak(m: Metrics, peak: list[int]) -> None:
    while True:
        peak[0] = max(peak[0], m.queue_points)
        await asyncio.sleep(0.002)


async def test_queued_points_stay_bounded_with_mqtt_311_and_no_broker_inflight_limit(
    broker: Mosquitto, influx: Influxd, tmp_path: Path
) -> None:
    """MQTT 3.1.1 has no receive maximum, and the broker's max_inflight_messages is 0
    (unlimited): only ingest's max_queued_points keeps the backlog out of its memory."""
    cfg = _bounded(broker, influx, tmp_path, "bounded-ingest")
    msgs = stream(devices=4, count=300, points=POINTS)  # 1200 messages: 12x the limit
    peak = [0]
    async with running(cfg) as svc, publisher(broker.url) as pub:
        tracker = asyncio.create_task(_track_peak(svc.metrics, peak))
        await asyncio.to_thread(influx.stop)
        await publish_msgs(pub, msgs)
        await wait_for(lambda: svc.metrics.queue_points >= LIMIT, what="the bound reached")
        await wait_for(lambda: svc.metrics.write_retries >= 3, what="failing writes")
        await asyncio.sleep(0.5)
        assert svc.metrics.messages_in <= LIMIT // POINTS + 1  # the rest waits at the broker
        await asyncio.to_thread(influx.start)
        await wait_for(lambda: svc.metrics.messages_stored >= len(msgs), 30, "catch-up")
        tracker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tracker
        assert svc.metrics.messages_stored == len(msgs)  # each message written once
        assert svc.metrics.messages_in == len(msgs)  # and received once: no reconnect
    assert LIMIT <= peak[0] <= LIMIT + POINTS
    assert influx_seqs(influx) == {f"m{d}": list(range(1, 301)) for d in range(4)}


async def test_dead_letters_do_not_stall_a_full_pipeline(
    broker: Mosquitto, influx: Influxd, tmp_path: Path
) -> None:
    """A dead letter's PUBACK arrives behind the messages paho's thread is holding back:
    the writer must not wait for it before writing the next batch."""
    cfg = _bounded(broker, influx, tmp_path, "bounded-dl-ingest")
    msgs = stream(devices=4, count=150, points=POINTS)
    bad = 6
    async with running(cfg) as svc, publisher(broker.url) as pub:
        await asyncio.to_thread(influx.stop)
        futs = []
        for i, m in enumerate(msgs):
            futs.append(pub.publish(topic_of(m), codec.encode(m)))
            if i % (len(msgs) // bad) == 0:
                futs.append(pub.publish(topic_of(m), b"{not json"))
        await asyncio.wait_for(asyncio.gather(*futs), 20)
        await wait_for(lambda: svc.metrics.queue_points >= LIMIT - POINTS, what="the bound reached")
        await asyncio.to_thread(influx.start)
        t0 = time.monotonic()
        await wait_for(
            lambda: svc.metrics.queue_messages == 0 and svc.metrics.messages_in == len(msgs) + bad,
            30,
            "catch-up",
        )
        took = time.monotonic() - t0
    assert sum(svc.metrics.deadletters.values()) == bad
    assert influx_seqs(influx) == {f"m{d}": list(range(1, 151)) for d in range(4)}
    # Stalled, each of the 6 batches holding a dead letter would wait out the 5 s PUBACK timeout
    # (30 s in all); unstalled it takes about a second. The margin is for a loaded machine.
    assert took < 15
