"""`zcf edge` as a real process on the example config (ports rewritten): publishes, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from simulators.plant import PlantSpec, run_plant
from tests.support.edge import EXAMPLE, Collector
from tests.support.servers import Mosquitto

ROOT = Path(__file__).resolve().parents[2]
DEMO_PORTS = {15020: "main-meter", 15021: "pv-inverter", 15022: "line2-meter"}
DEMO_OPCUA = {14840: "line1-plc", 14841: "line2-plc"}


def _example_at(plant: object, tmp_path: Path) -> Path:
    text = EXAMPLE.read_text()
    for port, dev in DEMO_PORTS.items():
        text = text.replace(f"port = {port}", f"port = {plant.modbus_endpoint(dev)[1]}")  # type: ignore[attr-defined]
    for port, dev in DEMO_OPCUA.items():
        text = re.sub(rf"opc\.tcp://127\.0\.0\.1:{port}/[a-z0-9/]+", plant.opcua_endpoint(dev), text)  # type: ignore[attr-defined]
    text = text.replace("poll_interval_s = 1\n", "poll_interval_s = 0.2\n")
    path = tmp_path / "edge.toml"
    path.write_text(text)
    return path


async def test_cli_runs_and_stops_cleanly(broker: Mosquitto, collector: Collector, tmp_path: Path) -> None:
    async with run_plant(PlantSpec.example(), ports="free", speed=0) as plant:
        config = _example_at(plant, tmp_path)
        env = {**os.environ, "ZCF_MQTT_URL": broker.url}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "zcf.cli", "edge", "--config", str(config),
            "--data-dir", str(tmp_path / "data"),
            env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            names = [*list(DEMO_PORTS.values()), "line1-meter", *DEMO_OPCUA.values()]
            await collector.wait_for(lambda: all(len(collector.telemetry[n]) >= 2 for n in names), 20)
            assert collector.status["edge1"][-1].state == "online"
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = await asyncio.wait_for(proc.communicate(), 15)
        assert proc.returncode == 0, out.decode()
        assert b"Traceback" not in out
        await collector.wait_for(lambda: collector.status["edge1"][-1].state == "offline", 5)
        assert (tmp_path / "data" / "edge-buffer.sqlite").is_file()
