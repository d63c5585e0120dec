from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from iiot_core.store import Selector, open_reader
from tests.ingest_service.helpers import (
    http_get,
    publish_msgs,
    publisher,
    running,
    settings,
    stream,
    wait_for,
)
from tests.support.servers import Mosquitto, free_port
from tests.support.servers import running as run_server


def sqlite_seqs(db: Path, field: str = "p0") -> dict[str, list[int]]:
    """device -> stored seq numbers of ``field`` (one row per message), in time order."""
    with sqlite3.connect(db) as c:
        rows = c.execute(
            "SELECT s.device, v.seq FROM samples v JOIN series s ON s.id = v.series_id "
            "WHERE s.field = ? ORDER BY s.device, v.ts",
            (field,),
        ).fetchall()
    out: dict[str, list[int]] = {}
    for device, seq in rows:
        out.setdefault(device, []).append(seq)
    return out


async def test_stores_every_message_and_serves_health(broker: Mosquitto, tmp_path: Path) -> None:
    db = tmp_path / "zcf.db"
    cfg = settings(broker.url, f"sqlite:///{db}", tmp_path)
    msgs = stream(devices=4, count=50)
    async with running(cfg) as svc, publisher(broker.url) as pub:
        await publish_msgs(pub, msgs)
        await wait_for(lambda: svc.metrics.messages_stored == len(msgs), what="all stored")
        base = f"http://127.0.0.1:{svc.http_port}"
        health = json.loads(await http_get(f"{base}/health"))
        metrics = (await http_get(f"{base}/metrics")).decode()
    assert health["status"] == "ok" and health["mqtt_connected"] and health["queue_messages"] == 0
    assert "zcf_ingest_points_written_total 600.0\n" in metrics
    assert "zcf_ingest_messages_total 200.0\n" in metrics
    assert sqlite_seqs(db) == {f"m{d}": list(range(1, 51)) for d in range(4)}
    reader = open_reader(f"sqlite:///{db}")
    latest = await reader.latest(Selector(device="m2", fields=("p1",)))
    await reader.close()
    assert [(lv.value, lv.ts) for lv in latest] == [(50.1, msgs[-1].ts)]


async def test_health_is_degraded_when_the_broker_downgrades_the_subscription(tmp_path: Path) -> None:
    """A broker capped at QoS 0 would lose messages silently: /health says so and names the filter."""
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    with run_server(Mosquitto(workdir, free_port(), extra_config="max_qos 0\n")) as broker:
        cfg = settings(broker.url, f"sqlite:///{tmp_path / 'zcf.db'}", tmp_path)
        async with running(cfg) as svc:
            base = f"http://127.0.0.1:{svc.http_port}"
            await wait_for(lambda: bool(svc._conn and svc._conn.refused), 5, "the SUBACK")
            health = json.loads(await http_get(f"{base}/health"))
    assert health["status"] == "degraded"
    assert any("granted QoS 0" in why for why in health["subscriptions_refused"].values()), health
