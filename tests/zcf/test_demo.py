"""`zcf demo` end to end: every role as its own process, live numbers, one Ctrl-C stops all."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.demo_process import processes_mentioning, running_demo
from tests.support.servers import free_port

DEVICES = ("main-meter", "line1-meter", "line2-meter", "pv-inverter", "line1-plc", "line2-plc")


@pytest.mark.timeout(90)
def test_demo_runs_the_whole_plant_and_stops_cleanly(tmp_path: Path) -> None:
    with running_demo(tmp_path) as demo:
        site = demo.wait_for_site_power(30)
        assert isinstance(site.get("power_kw"), float) and site["power_kw"] > 0, "no live site power"
        assert 0 < float(site["intensity_location_kg_per_kwh"]) < 1.5  # type: ignore[arg-type]
        out = demo.interrupt()
        assert demo.proc.returncode == 0, out
    assert f"Dashboard: {demo.url}/" in out
    for device in DEVICES:
        assert f"  {device} " in out, f"{device} never shown:\n{out[-3000:]}"
    assert "first live carbon numbers after" in out
    assert not processes_mentioning(str(tmp_path)), "a role outlived the demo"
    # The store received the telemetry through ingest.
    assert (tmp_path / "zcf.db").stat().st_size > 0


def test_demo_refuses_to_start_when_a_port_is_taken(tmp_path: Path) -> None:
    http, mqtt = free_port(), free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", mqtt))
        taken.listen()
        cmd = [sys.executable, "-m", "zcf.cli", "demo", "--port", str(http), "--mqtt-port", str(mqtt)]
        done = subprocess.run(
            [*cmd, "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=30, check=False
        )
    assert done.returncode == 2
    assert f"{mqtt} (MQTT broker, --mqtt-port)" in done.stderr
    assert not (tmp_path / "logs").exists()  # nothing was started
