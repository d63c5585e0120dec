"""Engines as real processes against real brokers, a paced plant stream and a result collector.

Shared by the crash (twin) and hot-standby tests: the engine runs as ``zcf engine`` would,
so that SIGKILL really kills it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho

from iiot_core.codec import decode_telemetry
from iiot_core.model import Telemetry
from tests.carbon_engine.helpers import telemetry

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "deploy" / "examples" / "plant.toml"
STEP_MS = 2000  # event time between two polls of every device


def fast_plant(tmp: Path) -> Path:
    """The example plant with 1-minute windows only, a 3 s publish delay and 2 s snapshots.

    The delay is longer than a step: a window is due only once every device's poll after its
    end has arrived, so it is never first published short of a device and corrected after.
    """
    text = EXAMPLE.read_text()
    text = text.replace("publish_delay_s = 5", "publish_delay_s = 3")
    text = text.replace("snapshot_interval_s = 10", 'snapshot_interval_s = 2\nwindows = ["1m"]')
    path = tmp / "plant.toml"
    path.write_text(text)
    return path


def poll(step: int, t: int, reset_at: int) -> list[Telemetry]:
    """Every device of the example plant at one step; line1's unit counter restarts at ``reset_at``."""
    h = step * STEP_MS / 3_600_000
    units = float(step // 2 if step < reset_at else (step - reset_at) // 2)
    return [
        telemetry("main-meter", t, {"import_energy": 5000 + 600 * h, "active_power": 600}),
        telemetry("line1-meter", t, {"import_energy": 900 + 320 * h}),
        telemetry("line2-meter", t, {"import_energy": 4294900.0 + 210 * h}),  # wraps on the way
        telemetry("pv-inverter", t, {"pv_energy": 300 + 120 * h}),
        telemetry(
            "line1-plc", t, {"gas_total": 100 + 40 * h, "steam_total": 3 + 0.5 * h, "production_count": units}
        ),
        telemetry(
            "line2-plc", t, {"gas_total": 50 + 30 * h, "steam_total": 2 + 0.3 * h, "production_count": 0.0}
        ),
    ]


@dataclass
class EngineProc:
    """``zcf engine`` as a child process; its log goes to a file next to its data."""

    plant: Path
    data: Path
    broker_url: str
    client_id: str
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return self.data / "engine.log"

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ZCF_MQTT_URL": self.broker_url, "PYTHONPATH": str(ROOT)}
        args = ["--plant", str(self.plant), "--data-dir", str(self.data), "--http-port", "-1"]
        args += ["--client-id", self.client_id, *self.extra]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "carbon_engine.cli", *args], cwd=ROOT, env=env, stderr=out, stdout=out
            )
        self.starts += 1

    async def connected(self, within_s: float = 30.0) -> None:
        """Wait until this start of the engine has its MQTT session (its log says so), then its SUBACKs."""
        deadline = time.monotonic() + within_s
        while self.log.read_text().count("MQTT connected") < self.starts:
            assert time.monotonic() < deadline, (
                f"engine {self.client_id} did not connect: {self.log.read_text()}"
            )
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # its SUBACKs (a loaded machine is slow)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> int:
        if self.proc is None:
            return 0
        self.proc.terminate()
        try:
            return self.proc.wait(15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc = None


@dataclass
class Published:
    """One result message as seen on the broker."""

    seq: int
    values: dict[str, float]


class Results:
    """Every result message on a broker, per (topic, window start), in arrival order."""

    def __init__(self) -> None:
        self.by_window: dict[tuple[str, int], list[Published]] = {}

    def __call__(self, msg: paho.MQTTMessage) -> None:
        m = decode_telemetry(msg.payload)
        values = {p.name: p.value for p in m.points}
        self.by_window.setdefault((msg.topic, m.ts), []).append(Published(m.seq, values))

    def final(self, until: int) -> dict[tuple[str, int], dict[str, float]]:
        """The last values of every window starting before ``until``."""
        return {k: v[-1].values for k, v in self.by_window.items() if k[1] < until}

    def republished_unchanged(self) -> list[tuple[str, int]]:
        """Windows sent again with a new seq but values equal to the previous publication."""
        bad = []
        for key, pubs in self.by_window.items():
            for a, b in itertools.pairwise(pubs):
                if b.seq != a.seq and rel_diff(a.values, b.values) <= 1e-9:
                    bad.append(key)
        return bad


def rel_diff(a: dict[str, float], b: dict[str, float]) -> float:
    """The largest relative difference between two value sets (inf if their points differ)."""
    if a.keys() != b.keys():
        return float("inf")
    return max((abs(v - b[k]) / max(1.0, abs(v), abs(b[k])) for k, v in a.items()), default=0.0)
