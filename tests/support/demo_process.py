"""`zcf demo` as a child process on free loopback ports, for the tests that drive the whole product."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port


@dataclass
class DemoProcess:
    proc: subprocess.Popen[str]
    http: int
    mqtt: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    def live(self) -> list[dict[str, object]]:
        """The engine's live rows, or [] while the API is not answering yet."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/live", timeout=2) as resp:
                rows: list[dict[str, object]] = json.load(resp)
                return rows
        except OSError:
            return []

    def wait_for_site_power(self, timeout_s: float) -> dict[str, object]:
        """The site's live row once it shows power, or {} after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        site: dict[str, object] = {}
        while time.monotonic() < deadline and not site.get("power_kw"):
            time.sleep(1)
            site = next((r for r in self.live() if r["path"] == "plant1"), {})
        return site

    def interrupt(self) -> str:
        """Ctrl-C, as a terminal sends it; returns everything the demo printed."""
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=40)
        return out


@contextmanager
def running_demo(data_dir: Path, zcf: list[str] | None = None) -> Iterator[DemoProcess]:
    """Start ``zcf demo`` (console refresh every second); kill it if the test did not stop it.

    ``zcf`` is the command that runs the CLI, default this interpreter's ``-m zcf.cli``; an
    installed ``zcf`` runs in ``data_dir``, away from the source tree it could import from.
    """
    http, mqtt = free_port(), free_port()
    cmd = [*(zcf or [sys.executable, "-m", "zcf.cli"]), "demo", "--port", str(http), "--mqtt-port", str(mqtt)]
    cmd += ["--data-dir", str(data_dir), "--refresh", "1"]
    cwd = data_dir if zcf else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd)
    try:
        yield DemoProcess(proc, http, mqtt)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain ``text`` (the demo's roles name its data dir)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if text in args:
            found.append(args)
    return found
