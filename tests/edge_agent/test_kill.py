"""SIGKILL of `zcf edge` while it publishes fast: every numbered message is delivered or on disk.

The outbox writes a message and its device's sequence number in one transaction before the
message is published. So after any number of kills, for every device, the sequence numbers
seen by a subscriber plus those still in the outbox are exactly 1..last (no gap: nothing
numbered was lost), and a number seen twice is the same sample replayed (same source time),
never a new sample reusing the number of one that left the agent before it was on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

from iiot_core import codec
from simulators.plant import PlantSpec, run_plant
from tests.edge_agent.test_cli_run import DEMO_PORTS, ROOT, _example_at
from tests.support.edge import Collector
from tests.support.servers import Mosquitto

MODBUS = [*DEMO_PORTS.values(), "line1-meter"]


async def _start(config: Path, data: Path, url: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "zcf.cli", "edge", "--config", str(config), "--data-dir", str(data),
        env={**os.environ, "ZCF_MQTT_URL": url}, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def _on_disk(path: Path) -> tuple[dict[str, dict[int, int]], dict[str, int]]:
    """(device -> {seq: ts} of the rows still in the outbox, device -> last seq written)."""
    rows: dict[str, dict[int, int]] = defaultdict(dict)
    with sqlite3.connect(path) as db:
        for (payload,) in db.execute("SELECT payload FROM outbox"):
            t = codec.decode_telemetry(payload)
            rows[t.device][t.seq] = t.ts
        last = dict(db.execute("SELECT device, seq FROM seq").fetchall())
    return rows, last


async def test_sigkill_loses_no_numbered_message(
    broker: Mosquitto, durable: Collector, tmp_path: Path
) -> None:
    rng = random.Random(7)
    async with run_plant(PlantSpec.example(), ports="free", speed=0) as plant:
        config = _example_at(plant, tmp_path)
        config.write_text(config.read_text().replace("poll_interval_s = 0.2\n", "poll_interval_s = 0\n"))
        data = tmp_path / "data"
        for _ in range(3):
            proc = await _start(config, data, broker.url)
            mark = len(durable.telemetry["main-meter"])
            await durable.wait_for(lambda m=mark: len(durable.telemetry["main-meter"]) > m + 50, 20)
            await asyncio.sleep(rng.uniform(0, 0.2))  # kill at an arbitrary point of a batch
            proc.send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(proc.wait(), 10) == -signal.SIGKILL
        proc = await _start(config, data, broker.url)  # replays the backlog, then stops cleanly
        await asyncio.sleep(2)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    kept, last = _on_disk(data / "edge-buffer.sqlite")

    def complete(name: str) -> bool:
        return {t.seq for t in durable.telemetry[name]} | kept[name].keys() >= set(range(1, last[name] + 1))

    with contextlib.suppress(TimeoutError):  # the assertions below name what is missing
        await durable.wait_for(lambda: all(complete(n) for n in MODBUS), 30)  # a loaded machine
    for name in MODBUS:
        assert last[name] > 150, (name, last[name])  # three runs published
        seen = {t.seq for t in durable.telemetry[name]} | kept[name].keys()
        assert seen == set(range(1, last[name] + 1)), name  # nothing beyond last either
        times: dict[int, set[int]] = defaultdict(set)
        for t in durable.telemetry[name]:
            times[t.seq].add(t.ts)
        for seq, ts in kept[name].items():
            times[seq].add(ts)
        reused = {seq: ts for seq, ts in times.items() if len(ts) > 1}
        assert not reused, (name, reused)
