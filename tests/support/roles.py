"""Every service role as a real ``zcf`` child process, with its log, /health and /metrics at hand.

``role_process(kind, ...)`` starts ``zcf edge``, ``zcf ingest`` or ``zcf engine`` with an MQTT
broker URL and extra environment; ``RoleProc`` reads the log and the status endpoints.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from carbon_engine.api.auth import Role
from tests.support.api_tokens import api_settings, auth
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLANT = ROOT / "deploy" / "examples" / "plant.toml"
ROLES = ("edge", "ingest", "engine")


def edge_config(folder: Path, http_port: int, mqtt: str) -> Path:
    """An edge config with one Modbus device nothing answers for, /health on ``http_port``;
    ``mqtt`` is the body of its [mqtt] section."""
    path = folder / "edge.toml"
    path.write_text(
        f'[agent]\nid = "edge1"\nsite = "plant1"\nhttp_port = {http_port}\n\n[mqtt]\n{mqtt}\n\n'
        '[[devices]]\nkind = "modbus_tcp"\nname = "m1"\narea = "a"\nline = "l"\nhost = "127.0.0.1"\n'
        f"port = {free_port()}\n"
        'points = [{ name = "e", register = "input", address = 0, type = "float32", unit = "kWh" }]\n'
    )
    return path


@dataclass
class RoleProc:
    kind: str
    folder: Path
    http_port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _get(self, path: str) -> httpx.Response:
        headers = auth(Role.viewer) if self.kind == "engine" else {}
        return httpx.get(f"http://127.0.0.1:{self.http_port}{path}", headers=headers, timeout=5)

    def health(self) -> dict[str, Any] | None:
        try:
            body: dict[str, Any] = self._get("/health").json()
        except (httpx.TransportError, ValueError):
            return None
        return body

    def metrics(self) -> str:
        return self._get("/metrics").text

    def wait_health(self, ready: Any, within_s: float = 40) -> dict[str, Any]:
        """Poll /health until ``ready(body)`` holds; fail with the log if it never does."""
        deadline = time.monotonic() + within_s
        while True:
            body = self.health()
            if body is not None and ready(body):
                return body
            assert self.proc.poll() is None, f"{self.kind} exited {self.proc.returncode}:\n{self.log}"
            assert time.monotonic() < deadline, f"{self.kind}: /health {body}\n{self.log}"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def role_args(kind: str, folder: Path, http_port: int, mqtt_toml: str = "") -> list[str]:
    """The command line of one role, its files under ``folder``."""
    data = folder / "data"
    if kind == "edge":
        return ["edge", "--config", str(edge_config(folder, http_port, mqtt_toml)), "--data-dir", str(data)]
    if kind == "ingest":
        store = f"sqlite:///{data / 'zcf.db'}"
        return ["ingest", "--store", store, "--http-port", str(http_port), "--data-dir", str(data)]
    return ["engine", "--plant", str(EXAMPLE_PLANT), "--http-port", str(http_port), "--data-dir", str(data)]


def start_role(
    kind: str, folder: Path, env: dict[str, str], extra: tuple[str, ...] = (), mqtt_toml: str = ""
) -> RoleProc:
    """Start ``zcf KIND`` (``extra`` after its usual options); its output goes to a log file."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [*role_args(kind, folder, port, mqtt_toml), *extra]
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZCF_")},
        "PYTHONPATH": str(ROOT),
        "ZCF_API_TOKENS": api_settings().tokens or "",
        **env,
    }
    log_path = folder / f"{kind}.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zcf", *argv],
            cwd=folder,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return RoleProc(kind, folder, port, proc, log_path)
