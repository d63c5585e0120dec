"""``zcf demo``: the whole plant and product on embedded defaults, in one command.

Starts a broker (``ZCF_MQTT_URL`` when set, else Mosquitto when installed, else the embedded
broker), then each role as its own process (simulators, edge agent, ingest, engine with the
API and dashboard), shows live traffic in the console, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import functools
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from iiot_core import runner, topics
from iiot_core.config_loader import read_toml
from iiot_core.masking import mask
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from iiot_core.settings import CoreEnv, MqttEnv, from_env
from zcf.demo_monitor import DemoMonitor
from zcf.embedded_broker import EmbeddedBroker

log = logging.getLogger(__name__)

DEMO_MQTT_PORT = 11883
# Shipped inside the package (in the repository a link to deploy/examples), so that the demo
# also runs from an installed wheel, away from any source tree.
EXAMPLES = Path(__file__).resolve().parent / "examples"


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="zcf demo", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8080, help="API and dashboard port (default 8080)")
    p.add_argument("--speed", type=float, default=1.0, help="scenario speed factor (default 1)")
    p.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="state, store and logs")
    p.add_argument("--mqtt-port", type=int, default=DEMO_MQTT_PORT, help="local broker port")
    p.add_argument(
        "--examples",
        type=Path,
        default=EXAMPLES,
        help="folder with edge.toml, plant.toml (default %(default)s)",
    )
    p.add_argument("--refresh", type=float, default=3.0, help="console refresh interval, s")
    return p.parse_args(argv)


def _roles(args: argparse.Namespace, store_url: str) -> list[tuple[str, list[str]]]:
    """The processes to start, in start order."""
    data = str(args.data_dir)
    return [
        ("sim", ["sim", "--speed", str(args.speed), "--seed", str(args.seed)]),
        ("edge", ["edge", "--config", str(args.examples / "edge.toml"), "--data-dir", data]),
        ("ingest", ["ingest", "--store", store_url, "--data-dir", data, "--http-port", "0"]),
        (
            "engine",
            [
                *("engine", "--plant", str(args.examples / "plant.toml")),
                *("--data-dir", data, "--http-port", str(args.port), "--store", store_url),
                "--open-read-only",  # the demo's API reads without a token; writes need one
                "--api-docs",
            ],
        ),
    ]


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` giving the child SIGTERM when this process ends, however it ends.

    Linux's parent-death signal covers every child alike, Mosquitto included (a watchdog
    pipe would need each child to read it). It is tied to the forking *thread*, so children
    are spawned from the event loop's thread only. None where prctl does not exist.
    """
    if not sys.platform.startswith("linux"):
        return None
    # Looked up before fork: the child, between fork and exec, only calls it.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the demo died between fork and prctl: nobody will signal us
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def mosquitto_binary() -> str | None:
    """Mosquitto's path; Debian installs it in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


class Demo:
    def __init__(self, args: argparse.Namespace, external_broker: str | None = None) -> None:
        self.args = args
        self.external_broker = external_broker
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.embedded: EmbeddedBroker | None = None
        self.env = dict(os.environ)
        self.logdir = args.data_dir / "logs"

    async def start_broker(self) -> str:
        if self.external_broker is not None:
            return self.external_broker
        url = f"mqtt://127.0.0.1:{self.args.mqtt_port}"
        binary = mosquitto_binary()
        if binary:
            conf = self.args.data_dir / "mosquitto.conf"
            conf.write_text(
                f"listener {self.args.mqtt_port} 127.0.0.1\nallow_anonymous true\n"
                f"persistence true\npersistence_location {self.args.data_dir.resolve()}/\n"
                "max_queued_messages 100000\nmax_inflight_messages 20000\n"
                # As root Mosquitto drops to its own user, which cannot write the demo's data folder.
                + ("user root\n" if os.geteuid() == 0 else "")
            )
            self._spawn("mosquitto", [binary, "-c", str(conf)])
            print(f"broker: Mosquitto on {url}")
        else:
            self.embedded = EmbeddedBroker(port=self.args.mqtt_port)
            await self.embedded.start()
            self.env["ZCF_MQTT_PROTOCOL"] = "4"  # the embedded broker speaks MQTT 3.1.1
            print(f"broker: embedded (no Mosquitto installed) on {url}")
        await _wait_port(self.args.mqtt_port, 10, f"broker (log: {self.logdir}/mosquitto.log)")
        return url

    def _spawn(self, name: str, cmd: list[str]) -> None:
        out = (self.logdir / f"{name}.log").open("ab")
        # Own session: a terminal's Ctrl-C reaches the demo only, which then stops the roles in
        # order. A SIGKILLed demo cannot do that: the parent-death signal stops them instead.
        proc = subprocess.Popen(
            cmd,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # only prctl runs in the child: no lock to deadlock on
        )
        self.procs.append((name, proc))

    async def start_roles(self, mqtt_url: str) -> None:
        self.env["ZCF_MQTT_URL"] = mqtt_url
        store = from_env(CoreEnv).store_url or f"sqlite:///{(self.args.data_dir / 'zcf.db').resolve()}"
        for name, cmd in _roles(self.args, store):
            self._spawn(name, [sys.executable, "-m", "zcf.cli", *cmd])
            if name == "sim":
                # The edge agent would only log connection errors until the simulated devices listen.
                for port in _device_ports(self.args.examples / "edge.toml"):
                    await _wait_port(port, 20, f"simulated device (log: {self.logdir}/sim.log)")
        print(f"logs: {self.logdir}/<role>.log   store: {store}")

    def dead_role(self) -> str | None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                return name
        return None

    async def stop(self) -> None:
        """Stop the roles one by one, last started first: each still has its broker and devices."""
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            try:
                await asyncio.to_thread(proc.wait, 10)
            except subprocess.TimeoutExpired:
                log.warning("role did not stop in time, killing role=%s", name)
                proc.kill()
        if self.embedded is not None:
            await self.embedded.stop()


class DemoStartError(Exception):
    """A part of the demo did not come up; the message says which and where its log is."""


async def _wait_port(port: int, timeout_s: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    return
                except OSError:
                    await asyncio.sleep(0.1)
    except TimeoutError:
        raise DemoStartError(f"{what} not listening on 127.0.0.1:{port} after {timeout_s:.0f} s") from None


def busy_ports(ports: dict[int, str]) -> list[str]:
    """``port (what needs it)`` for each loopback port that something else already listens on."""
    busy = []
    for port, role in sorted(ports.items()):
        with socket.socket() as sock:
            # SO_REUSEADDR: connections in TIME_WAIT from a previous run do not count, a listener does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                busy.append(f"{port} ({role})")
    return busy


def _needed_ports(args: argparse.Namespace, external_broker: str | None) -> dict[int, str]:
    """The fixed loopback ports this demo listens on: devices, API and (when local) the broker."""
    ports = dict.fromkeys(_device_ports(args.examples / "edge.toml"), "simulated device")
    ports[args.port] = "dashboard, --port"
    if external_broker is None:
        ports[args.mqtt_port] = "MQTT broker, --mqtt-port"
    return ports


def _device_ports(edge_config: Path) -> set[int]:
    """The loopback ports of the devices an edge config polls (Modbus ``port``, OPC UA ``endpoint``)."""
    ports = set()
    for dev in read_toml(edge_config).get("devices", []):
        port = dev.get("port") or urlsplit(dev.get("endpoint", "")).port
        if isinstance(port, int):
            ports.add(port)
    return ports


async def _fetch_live(port: int) -> list[dict[str, object]] | None:
    """The engine's live values from its API, or None while it is not answering."""

    def get() -> list[dict[str, object]] | None:
        url = f"http://127.0.0.1:{port}/api/v1/live"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                rows = json.load(resp)
        except (OSError, ValueError):
            return None
        return rows if isinstance(rows, list) else None

    return await asyncio.to_thread(get)


async def _watch(demo: Demo, monitor: DemoMonitor, args: argparse.Namespace, stop: asyncio.Event) -> int:
    """Print the console view every ``--refresh`` seconds until ``stop`` or a role dies.

    Until the first live numbers show, the API is asked twice a second, so the start-up
    figure printed at the end is accurate to half a second.
    """
    next_render = time.monotonic() + args.refresh
    while not stop.is_set():
        wait = args.refresh if monitor.first_live_s is not None else min(0.5, args.refresh)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if (rows := await _fetch_live(args.port)) is not None:
            monitor.on_live(rows)
        if time.monotonic() >= next_render or stop.is_set():
            next_render = time.monotonic() + args.refresh
            print(monitor.render(), flush=True)
        if not stop.is_set() and (dead := demo.dead_role()) is not None:
            print(f"role {dead!r} exited; see {demo.logdir / dead}.log", file=sys.stderr)
            return 1
    return 0


async def run(args: argparse.Namespace, stop: asyncio.Event) -> int:
    """Run the demo until ``stop`` is set or a role dies; return the exit code."""
    started = time.monotonic()  # the start-up figures count from here, not from the first role
    external_broker = from_env(MqttEnv).url  # ZCF_MQTT_URL: the demo starts no broker
    if busy := busy_ports(_needed_ports(args, external_broker)):
        # Another demo (or service) would answer in our place and the roles would die one by one.
        print(
            f"zcf demo: port already in use on 127.0.0.1: {', '.join(busy)}; "
            "is another zcf demo running? Stop it or pick other ports.",
            file=sys.stderr,
        )
        return 2
    args.data_dir.mkdir(parents=True, exist_ok=True)
    demo = Demo(args, external_broker)
    demo.logdir.mkdir(exist_ok=True)
    monitor = DemoMonitor(started=started)
    watch: MqttConnection | None = None
    code = 0
    try:
        url = await demo.start_broker()
        await demo.start_roles(url)
        print(f"\n  Dashboard: http://127.0.0.1:{args.port}/   (Ctrl-C stops everything)\n", flush=True)
        watch = MqttConnection(
            MqttConfig(url=url).with_env(),
            f"zcf-demo-monitor-{os.getpid()}",
            subscriptions=[
                Subscription(topics.TELEMETRY_FILTER, qos=0),
                Subscription(topics.RESULT_FILTER, qos=0),
            ],
            on_message=monitor.on_message,
        )
        await watch.start()
        code = await _watch(demo, monitor, args, stop)
    except DemoStartError as err:
        print(mask(f"zcf demo: {err}"), file=sys.stderr)
        code = 1
    finally:
        if watch is not None:
            await watch.stop()
        await demo.stop()
    if monitor.first_telemetry_s is not None:
        print(f"first telemetry after {monitor.first_telemetry_s:.1f} s", flush=True)
    if monitor.first_live_s is not None:
        print(f"first live carbon numbers after {monitor.first_live_s:.1f} s", flush=True)
    return code


def main(argv: list[str]) -> int:
    args = _parse(argv)
    return runner.run("zcf demo", lambda: runner.UntilStopped(functools.partial(run, args)))
