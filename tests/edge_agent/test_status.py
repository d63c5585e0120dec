"""Retained status: what a client that connects after the agent stopped is told."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
