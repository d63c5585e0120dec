"""`zcf demo` end to end: every role as its own process, live numbers, one Ctrl-C stops all."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.demo_process import DemoProcess, processes_mentioning, running_demo
from tests.support.servers import free_port
from zcf.demo import EXAMPLES, _device_ports, busy_ports

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


@pytest.mark.timeout(60)
def test_demo_killed_with_sigkill_takes_its_roles_and_broker_along(tmp_path: Path) -> None:
    with running_demo(tmp_path) as demo:
        ports = needed_ports(demo)
        deadline = time.monotonic() + 40
        while len(busy_ports(ports)) < len(ports) and demo.proc.poll() is None:
            assert time.monotonic() < deadline, f"demo never listened on all of {ports}"
            time.sleep(0.2)
        demo.proc.kill()  # as a supervisor or a CI timeout does: no chance to stop the roles
        demo.proc.wait(5)
        killed = time.monotonic()
        while (busy := busy_ports(ports)) and time.monotonic() - killed < 5:
            time.sleep(0.1)
        freed_s = time.monotonic() - killed
        print(f"demo ports free {freed_s:.2f} s after SIGKILL")
        # The roles stop gracefully (SIGTERM): the edge agent's final status may wait for the broker.
        while (left := processes_mentioning(str(tmp_path))) and time.monotonic() - killed < 15:
            time.sleep(0.1)
    print(f"demo roles gone {time.monotonic() - killed:.2f} s after SIGKILL")
    assert not busy, f"ports still held {freed_s:.1f} s after the demo was killed: {busy}"
    assert not left, f"roles outlived the demo by 15 s: {left}"


def needed_ports(demo: DemoProcess) -> dict[int, str]:
    """Every port this demo listens on: simulated devices, dashboard, broker."""
    ports = dict.fromkeys(_device_ports(EXAMPLES / "edge.toml"), "device")
    return ports | {demo.http: "dashboard", demo.mqtt: "broker"}
