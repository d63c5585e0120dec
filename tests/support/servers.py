"""Real servers for tests: each starts on a free loopback port and is stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar


def free_port() -> int:
    """A TCP port on 127.0.0.1 that the OS says is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 10.0, host: str = "127.0.0.1") -> None:
    """Block until something listens on ``port`` or raise TimeoutError."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout_s} s")


@dataclass
class ServerProcess:
    """A server process on loopback; subclasses say how to ``start`` it. ``restart`` keeps the port."""

    workdir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    stop_timeout_s: float = 10.0

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


S = TypeVar("S", bound=ServerProcess)


@contextlib.contextmanager
def running(server: S) -> Iterator[S]:
    """Start ``server`` and stop it afterwards."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Mosquitto(ServerProcess):
    """A Mosquitto broker process on loopback; ``restart`` keeps the port."""

    extra_config: str = ""  # appended to the generated mosquitto.conf

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "max_queued_messages 100000\n"
            "max_inflight_messages 0\n"
            "log_dest none\n"
            + ("user root\n" if os.geteuid() == 0 else "")
            # Run as root, Mosquitto drops to its own user and then cannot write persistence here.
            + self.extra_config
        )
        self.proc = subprocess.Popen([binary, "-c", str(conf)])
        wait_port(self.port)


def mosquitto(workdir: Path) -> contextlib.AbstractContextManager[Mosquitto]:
    return running(Mosquitto(workdir, free_port()))


@dataclass
class Influxd(ServerProcess):
    """An InfluxDB 1.x ``influxd`` on loopback (all its listeners on free ports); restartable."""

    rpc_port: int = 0  # influxd's backup/restore RPC listener (8088 by default: never that here)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def store_url(self, db: str = "zcf") -> str:
        return f"influxdb-v1://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        conf = self.workdir / "influxd.conf"
        conf.write_text(
            "reporting-disabled = true\n"
            f'bind-address = "127.0.0.1:{self.rpc_port}"\n'
            f'[meta]\n  dir = "{self.workdir}/meta"\n  logging-enabled = false\n'
            f'[data]\n  dir = "{self.workdir}/data"\n  wal-dir = "{self.workdir}/wal"\n'
            "  query-log-enabled = false\n"
            "[monitor]\n  store-enabled = false\n"
            "[subscriber]\n  enabled = false\n"
            "[continuous_queries]\n  enabled = false\n"
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
            "  flux-enabled = false\n"
            '[logging]\n  level = "warn"\n'
        )
        binary = shutil.which("influxd") or "/usr/bin/influxd"
        log = (self.workdir / "influxd.log").open("ab")
        self.proc = subprocess.Popen([binary, "-config", str(conf)], stdout=log, stderr=log)
        wait_port(self.port, 20)

    def query(self, q: str, db: str = "zcf") -> dict[str, object]:
        """Run an InfluxQL statement (GET for reads, POST otherwise); return the JSON answer."""
        import json
        import urllib.parse
        import urllib.request

        params = urllib.parse.urlencode({"q": q, "db": db, "epoch": "ms"})
        method = "GET" if q.lstrip().upper().startswith(("SELECT", "SHOW")) else "POST"
        req = urllib.request.Request(f"{self.url}/query?{params}", method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(json.loads(resp.read()))


def influxd(workdir: Path) -> contextlib.AbstractContextManager[Influxd]:
    return running(Influxd(workdir, free_port(), rpc_port=free_port()))


@dataclass
class VictoriaMetrics(ServerProcess):
    """A VictoriaMetrics single-node server on loopback; it accepts the InfluxDB v2 write API."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def store_url(self, org: str = "zcf", bucket: str = "telemetry") -> str:
        return f"influxdb-v2://127.0.0.1:{self.port}/{org}/{bucket}"

    def start(self) -> None:
        binary = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
        log = (self.workdir / "vm.log").open("ab")
        self.proc = subprocess.Popen(
            [
                binary,
                f"-httpListenAddr=127.0.0.1:{self.port}",
                f"-storageDataPath={self.workdir}/vmdata",
                "-loggerLevel=ERROR",
                # Keep one sample per series and ms, as InfluxDB does for a replayed point.
                "-dedup.minScrapeInterval=1ms",
            ],
            stdout=log,
            stderr=log,
        )
        wait_port(self.port, 20)

    def export(self, match: str = '{__name__=~".+"}') -> list[dict[str, object]]:
        """Flush, then return every exported series (JSON lines of /api/v1/export)."""
        import json
        import urllib.parse
        import urllib.request

        urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10).read()
        params = urllib.parse.urlencode({"match[]": match})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{params}", timeout=10) as resp:
            return [json.loads(line) for line in resp.read().splitlines() if line.strip()]


def victoria_metrics(workdir: Path) -> contextlib.AbstractContextManager[VictoriaMetrics]:
    return running(VictoriaMetrics(workdir, free_port()))
