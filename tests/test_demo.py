"""`zcf demo` end to end: every role as its own process, live numbers, one Ctrl-C stops all."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

DEVICES = ("main-meter", "line1-meter", "line2-meter", "pv-inverter", "line1-plc", "line2-plc")


def _live(port: int) -> list[dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/live", timeout=2) as resp:
            rows: list[dict[str, object]] = json.load(resp)
            return rows
    except OSError:
        return []


@pytest.mark.timeout(90)
def test_demo_runs_the_whole_plant_and_stops_cleanly(tmp_path: Path) -> None:
    http, mqtt = free_port(), free_port()
    cmd = [sys.executable, "-m", "iiot_core.cli", "demo", "--port", str(http), "--mqtt-port", str(mqtt)]
    cmd += ["--data-dir", str(tmp_path), "--refresh", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.monotonic()
    try:
        site: dict[str, object] = {}
        while time.monotonic() - started < 30 and not site.get("power_kw"):
            time.sleep(1)
            site = next((r for r in _live(http) if r["path"] == "plant1"), {})
        assert isinstance(site.get("power_kw"), float) and site["power_kw"] > 0, "no live site power"
        assert 0 < float(site["intensity_location_kg_per_kwh"]) < 1.5  # type: ignore[arg-type]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert f"Dashboard: http://127.0.0.1:{http}/" in out
    for device in DEVICES:
        assert f"  {device} " in out, f"{device} never shown:\n{out[-3000:]}"
    assert "first live carbon numbers after" in out
    # The store received the telemetry through ingest.
    assert (tmp_path / "zcf.db").stat().st_size > 0


def test_demo_refuses_to_start_when_a_port_is_taken(tmp_path: Path) -> None:
    http, mqtt = free_port(), free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", mqtt))
        taken.listen()
        cmd = [sys.executable, "-m", "iiot_core.cli", "demo", "--port", str(http), "--mqtt-port", str(mqtt)]
        done = subprocess.run(
            [*cmd, "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=30, check=False
        )
    assert done.returncode == 2
    assert f"{mqtt} (MQTT broker, --mqtt-port)" in done.stderr
    assert not (tmp_path / "logs").exists()  # nothing was started
