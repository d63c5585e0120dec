"""``mqtt_connected`` in /metrics and /health follows a dropped broker within a second."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from tests.ingest_service.helpers import (
    http_get,
    publish_msgs,
    publisher,
    running,
    settings,
    stream,
    wait_for,
)
from tests.ingest_service.test_delivery import metric, scrape, wait_for_metric
from tests.support.servers import Influxd, Mosquitto


async def seconds_until_both_say_down(port: int, limit_s: float = 5.0) -> float:
    """Kill-to-report time: until /metrics shows 0 and /health shows false (``limit_s`` if never)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        health = json.loads(await http_get(f"http://127.0.0.1:{port}/health"))
        if metric(await scrape(port), "mqtt_connected") == 0 and health["mqtt_connected"] is False:
            assert health["status"] == "degraded"
            return time.monotonic() - t0
        await asyncio.sleep(0.05)
    return limit_s


async def test_a_killed_broker_shows_at_once_and_a_restarted_one_too(
    broker: Mosquitto, tmp_path: Path
) -> None:
    cfg = settings(broker.url, f"sqlite:///{tmp_path}/zcf.db", tmp_path)
    async with running(cfg) as svc:
        assert svc.http_port is not None
        await wait_for_metric(svc.http_port, "mqtt_connected", 1)
        assert broker.proc is not None
        broker.proc.kill()
        assert await seconds_until_both_say_down(svc.http_port) < 1.0
        await asyncio.to_thread(broker.start)  # same port: paho reconnects by itself
        await wait_for_metric(svc.http_port, "mqtt_connected", 1)


async def test_a_broker_dropped_while_ingest_holds_back_shows_at_once(
    broker: Mosquitto, influx: Influxd, tmp_path: Path
) -> None:
    """Store down and the point budget full: paho's thread waits in ``admit`` and reads
    nothing, so it cannot see the broker go; the endpoints must see it anyway."""
    cfg = settings(broker.url, influx.store_url(), tmp_path, max_queued_points=20)
    async with running(cfg) as svc, publisher(broker.url) as pub:
        assert svc.http_port is not None
        await asyncio.to_thread(influx.stop)
        await publish_msgs(pub, stream(devices=1, count=50))
        await wait_for(lambda: svc.metrics.write_retries >= 2, what="failing writes")
        assert svc.metrics.messages_in < 50  # held back: the budget is full
        assert broker.proc is not None
        broker.proc.kill()
        assert await seconds_until_both_say_down(svc.http_port) < 1.0
        await asyncio.to_thread(influx.start)
