"""Modbus points per second read by one edge agent against the simulated meters.

Starts the example plant's Modbus servers on free ports (in this process), runs the edge
agent's device loops with poll_interval_s = 0 for DURATION seconds (decoding, telemetry,
SQLite outbox and MQTT publishing included; a Mosquitto broker is started when one is
installed, else the outbox absorbs everything), and a raw pymodbus client loop issuing
the same requests with the same concurrency, and prints both rates and their ratio. The two
alternate in ROUNDS slices of DURATION/ROUNDS seconds each, so that a change of load on a
shared machine hits both alike instead of skewing the ratio.

    .venv/bin/python bench/bench_edge_modbus.py [--duration 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymodbus.client import AsyncModbusTcpClient  # noqa: E402
from pymodbus.framer import FramerType  # noqa: E402

from edge_agent.agent import Agent  # noqa: E402
from edge_agent.config import EdgeConfig  # noqa: E402
from edge_agent.drivers.base import DriverContext  # noqa: E402
from edge_agent.drivers.modbus import ModbusDriver  # noqa: E402
from simulators.plant import PlantSpec, run_plant  # noqa: E402
from tests.support.servers import free_port, mosquitto  # noqa: E402

MODBUS = ("main-meter", "line1-meter", "pv-inverter", "line2-meter")


def _config(plant: Any, broker_url: str, workdir: Path) -> EdgeConfig:
    with (ROOT / "deploy" / "examples" / "edge.toml").open("rb") as fh:
        data = tomllib.load(fh)
    devices = [d for d in data["devices"] if d["name"] in MODBUS]
    for dev in devices:
        host, port, unit, _ = plant.modbus_endpoint(dev["name"])
        dev.update(host=host, port=port, unit_id=unit, poll_interval_s=0, timeout_s=2)
    data["devices"] = devices
    data["mqtt"] = {"url": broker_url}
    data["buffer"]["path"] = str(workdir / "bench-buffer.sqlite")
    data["agent"]["status_interval_s"] = 3600
    return EdgeConfig.model_validate(data)


@dataclass
class Totals:
    """Sums over the rounds of one side (agent or raw)."""

    points: int = 0
    requests: int = 0
    published: int = 0
    drains: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0  # process CPU seconds (every thread): robust to other processes' load

    def add(self, points: int, requests: int, published: int, drains: int, elapsed: float) -> None:
        self.points += points
        self.requests += requests
        self.published += published
        self.drains += drains
        self.elapsed += elapsed


async def _run_agent(cfg: EdgeConfig, duration: float) -> tuple[int, int, int, int, float, float]:
    agent = Agent(cfg)
    plans = {d.name: ModbusDriver(d, DriverContext("x")).plan for d in cfg.devices}  # type: ignore[arg-type]
    task = asyncio.create_task(agent.run())
    await agent.wait_started()
    await asyncio.sleep(1.0)  # connect and warm up
    start_polls = {n: h.polls for n, h in agent.health.items()}
    published0 = agent.forwarder.stats.published
    drains0 = agent.mqtt.ack_drains if agent.mqtt is not None else 0
    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.sleep(duration)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    polls = {n: h.polls - start_polls[n] for n, h in agent.health.items()}
    published = agent.forwarder.stats.published - published0
    drains = (agent.mqtt.ack_drains if agent.mqtt is not None else 0) - drains0
    agent.stop()
    await task
    points = sum(polls[d.name] * len(d.points) for d in cfg.devices)
    requests = sum(polls[n] * len(plans[n]) for n in polls)
    return points, requests, published, drains, elapsed, cpu


async def _run_raw(cfg: EdgeConfig, duration: float) -> tuple[int, int, float]:
    clients: dict[tuple[str, int], AsyncModbusTcpClient] = {}
    for d in cfg.devices:
        key = (d.host, d.port)  # type: ignore[union-attr]
        if key not in clients:
            framer = FramerType.RTU if d.kind == "modbus_rtu_tcp" else FramerType.SOCKET
            clients[key] = AsyncModbusTcpClient(key[0], port=key[1], framer=framer, retries=0)
            await clients[key].connect()
    counts = {"points": 0, "requests": 0}
    stop_at = time.perf_counter() + duration

    async def loop(dev: Any) -> None:
        client = clients[(dev.host, dev.port)]
        plan = ModbusDriver(dev, DriverContext("x")).plan
        while time.perf_counter() < stop_at:
            for req in plan:
                fn = client.read_input_registers if req.kind == "input" else client.read_holding_registers
                rr = await fn(req.address, count=req.count, device_id=dev.unit_id)
                assert not rr.isError()
                counts["requests"] += 1
            counts["points"] += len(dev.points)

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(d) for d in cfg.devices))
    elapsed = time.perf_counter() - t0
    for c in clients.values():
        c.close()
    return counts["points"], counts["requests"], elapsed


async def _rounds(cfg: EdgeConfig, duration: float, rounds: int) -> tuple[Totals, Totals]:
    agent, raw = Totals(), Totals()
    for _ in range(rounds):
        points, requests, published, drains, elapsed, cpu = await _run_agent(cfg, duration / rounds)
        agent.add(points, requests, published, drains, elapsed)
        agent.cpu += cpu
        cpu0 = time.process_time()
        points, requests, elapsed = await _run_raw(cfg, duration / rounds)
        raw.add(points, requests, 0, 0, elapsed)
        raw.cpu += time.process_time() - cpu0
    return agent, raw


async def main(duration: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        broker_cm: Any = contextlib.nullcontext(None)
        if shutil.which("mosquitto", path="/usr/sbin:/usr/bin:/usr/local/sbin"):
            broker_cm = mosquitto(workdir)
        with broker_cm as broker:
            url = broker.url if broker is not None else f"mqtt://127.0.0.1:{free_port()}"
            async with run_plant(PlantSpec.example(), ports="free", speed=1.0, only=MODBUS) as plant:
                cfg = _config(plant, url, workdir)
                agent, raw = await _rounds(cfg, duration, rounds)
    el = agent.elapsed
    agent_pps, raw_pps = agent.points / el, raw.points / raw.elapsed
    print(
        f"edge agent : {agent_pps:9.0f} points/s {agent.requests / el:8.0f} requests/s "
        f"({agent.published / el:.0f} messages/s PUBACKed, broker={'mosquitto' if broker else 'none'})"
    )
    per = agent.published / max(agent.drains, 1)
    print(f"PUBACK hand-offs to the event loop: {agent.drains / el:.0f}/s ({per:.1f} PUBACKs each)")
    print(f"raw pymodbus: {raw_pps:9.0f} points/s {raw.requests / raw.elapsed:8.0f} requests/s")
    # Includes the in-process simulated meters, which serve both sides alike.
    agent_cpu, raw_cpu = agent.cpu / agent.points * 1e6, raw.cpu / raw.points * 1e6
    print(f"CPU per point (this process): agent {agent_cpu:.0f} us, raw {raw_cpu:.0f} us")
    print(
        f"ratio agent/raw: {agent_pps / raw_pps:.2f} "
        f"({len(cfg.devices)} devices, {duration:.0f} s each in {rounds} alternating rounds)"
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # keep the figures readable
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    asyncio.run(main(args.duration, args.rounds))
