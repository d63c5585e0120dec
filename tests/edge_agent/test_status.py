"""Retained status: what a client that connects after the agent stopped is told."""

from __future__ import annotations

import asyncio
from pathlib import Path

from iiot_core import codec, topics
from iiot_core.clock import now_ms
from iiot_core.model import SCHEMA_VERSION, DeviceStatus
from simulators.plant import PlantSpec, run_plant
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto


def _state(c: Collector, name: str) -> str:
    return c.status[name][-1].state if c.status[name] else ""


async def test_clean_stop_leaves_every_retained_status_offline(
    broker: Mosquitto, collector: Collector, tmp_path: Path
) -> None:
    async with run_plant(PlantSpec.example(), ports="free", speed=0) as plant:
        cfg = config_for(plant, broker.url, tmp_path)
        names = [d.name for d in cfg.devices]
        async with running(cfg):
            await collector.wait_for(lambda: all(_state(collector, n) == "online" for n in names), 15)
    # A client that subscribes now only sees what the broker retained.
    late = Collector(broker.url)
    await late.conn.start(wait_s=5)
    try:
        await late.wait_for(lambda: all(late.status[n] for n in [*names, cfg.agent.id]), 5)
        await asyncio.sleep(0.2)  # nothing else should arrive: the retained set is complete
        for name in names:
            [status] = late.status[name]
            assert (status.state, status.detail) == ("offline", "agent stopped"), name
            assert status.last_seen > 0, name  # when the device was last read is kept
        [agent] = late.status[cfg.agent.id]
        assert agent.state == "offline"
    finally:
        await late.conn.stop()


async def test_a_forged_retained_offline_is_overwritten_within_a_heartbeat(
    broker: Mosquitto, collector: Collector, tmp_path: Path
) -> None:
    heartbeat_s = 0.6
    async with run_plant(PlantSpec.example(), ports="free", speed=0) as plant:
        cfg = config_for(plant, broker.url, tmp_path, status_interval_s=0.2, heartbeat_s=heartbeat_s)
        dev = next(d for d in cfg.devices if d.kind == "modbus_tcp")
        topic = topics.device_status(cfg.agent.site, dev.area, dev.line, dev.name)
        async with running(cfg):
            await collector.wait_for(lambda: _state(collector, dev.name) == "online", 15)
            forged = DeviceStatus(SCHEMA_VERSION, "offline", now_ms(), "forged", 0)
            await collector.conn.publish(topic, codec.encode(forged), retain=True)
            await collector.wait_for(lambda: _state(collector, dev.name) == "offline", 5)
            seen, flowing = loop_time(), len(collector.telemetry[dev.name])
            await collector.wait_for(lambda: _state(collector, dev.name) == "online", 5)
            took = loop_time() - seen
            # One heartbeat, checked at the status interval: never more than their sum.
            assert took <= heartbeat_s + cfg.agent.status_interval_s + 0.5, took
            assert len(collector.telemetry[dev.name]) > flowing  # the device's data kept flowing
            late = Collector(broker.url)  # what a client connecting now is told: the truth
            await late.conn.start(wait_s=5)
            try:
                await late.wait_for(lambda: bool(late.status[dev.name]), 5)
                assert late.status[dev.name][0].state == "online"
            finally:
                await late.conn.stop()


def loop_time() -> float:
    return asyncio.get_running_loop().time()
