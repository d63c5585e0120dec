"""The agent's /health and /metrics: devices, outbox depth and age, publishing, against real servers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from simulators.plant import PlantSpec, run_plant
from tests.support.edge import config_for, running
from tests.support.servers import Mosquitto, free_port


def _values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


async def test_health_and_metrics_follow_the_devices_and_the_broker(
    broker: Mosquitto, tmp_path: Path
) -> None:
    port = free_port()
    async with run_plant(PlantSpec.example(), ports="free", speed=1, seed=1) as plant:
        cfg = config_for(plant, broker.url, tmp_path, poll_s=0.2)
        agent_cfg = cfg.agent.model_copy(update={"http_port": port})
        cfg = cfg.model_copy(update={"agent": agent_cfg})
        async with running(cfg) as agent, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await asyncio.sleep(2.0)
            health = await http.get("/health")
            assert health.status_code == 200, health.text
            body = health.json()
            assert body["mqtt_connected"] is True and body["devices_online"] == len(cfg.devices)
            got = _values((await http.get("/metrics")).text)
            assert got[("zcf_edge_devices", (("state", "online"),))] == len(cfg.devices)
            assert got[("zcf_edge_messages_total", (("outcome", "published"),))] >= len(cfg.devices)
            assert got[("zcf_edge_mqtt_connected", ())] == 1
            assert got[("zcf_edge_outbox_messages", ())] >= 0
            # The count moves with every write and delete while the response travels: compare
            # it with a render taken in the same step of the loop.
            now = _values(agent.status.render().decode())
            assert now[("zcf_edge_outbox_messages", ())] == agent.forwarder.buffered
            broker.stop()  # the broker goes: health says so, and the outbox fills and ages
            await asyncio.sleep(3.0)
            down = await http.get("/health")
            assert down.status_code == 503 and json.loads(down.text)["mqtt_connected"] is False
            got = _values((await http.get("/metrics")).text)
            assert got[("zcf_edge_outbox_messages", ())] > 0
            assert got[("zcf_edge_outbox_oldest_age_seconds", ())] >= 1.0
            broker.start()
