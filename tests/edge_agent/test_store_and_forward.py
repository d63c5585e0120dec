"""Store-and-forward: broker outages and agent restarts lose nothing and leave no seq gaps."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from simulators.plant import PlantSpec, run_plant
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto, free_port

MODBUS = {"main-meter", "pv-inverter"}


def _assert_no_gaps(c: Collector, name: str) -> None:
    seqs = c.seqs(name)
    assert seqs, name
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), (name, seqs)


async def test_broker_restart_replays_buffer(broker: Mosquitto, durable: Collector, tmp_path: Path) -> None:
    async with run_plant(PlantSpec.example(), ports="free", speed=0, only=MODBUS) as plant:
        cfg = config_for(plant, broker.url, tmp_path, only=MODBUS, poll_s=0.1)
        async with running(cfg) as agent:
            await durable.wait_for(lambda: all(len(durable.telemetry[n]) >= 3 for n in MODBUS))
            broker.stop()
            await asyncio.sleep(1.5)
            assert agent.forwarder.buffered > 10  # polls kept on disk while the broker is away
            broker.start()
            await durable.wait_for(lambda: any(t.historical for t in durable.telemetry["main-meter"]), 15)
            await durable.wait_for(lambda: agent.forwarder.buffered == 0, 10)
            last = {n: agent.forwarder._seqs[n] for n in MODBUS}
            await durable.wait_for(lambda: all(durable.seqs(n)[-1] >= last[n] for n in MODBUS), 10)
        assert agent.forwarder.stats.replayed > 10
    for name in MODBUS:
        _assert_no_gaps(durable, name)
        assert durable.seqs(name)[0] == 1


async def test_buffer_survives_agent_restart(broker: Mosquitto, collector: Collector, tmp_path: Path) -> None:
    async with run_plant(PlantSpec.example(), ports="free", speed=0, only=MODBUS) as plant:
        # First run: no broker listening at all, everything goes to disk.
        offline = config_for(plant, f"mqtt://127.0.0.1:{free_port()}", tmp_path, only=MODBUS, poll_s=0.1)
        async with running(offline) as agent:
            await asyncio.sleep(1.0)
        stored = agent.forwarder.buffered
        assert stored > 10
        with sqlite3.connect(tmp_path / "buffer.sqlite") as db:
            assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == stored
        # Second run, same buffer file, broker up: the backlog arrives, numbering continues.
        online = config_for(plant, broker.url, tmp_path, only=MODBUS, poll_s=0.1)
        async with running(online) as agent2:
            await collector.wait_for(lambda: agent2.forwarder.buffered == 0, 10)
            await collector.wait_for(
                lambda: all(any(not t.historical for t in collector.telemetry[n]) for n in MODBUS)
            )
    for name in MODBUS:
        _assert_no_gaps(collector, name)
        msgs = collector.telemetry[name]
        assert min(collector.seqs(name)) == 1
        hist = {t.seq for t in msgs if t.historical}
        live = {t.seq for t in msgs if not t.historical}
        assert hist and live and max(hist) < min(live), name
