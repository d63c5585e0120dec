"""Ingest benchmark: sustained points/s from MQTT into each store, next to the broker's own rate.

Run from the repository root: ``.venv/bin/python bench/bench_ingest.py [--messages N]``.
It starts its own Mosquitto, influxd (1.6) and VictoriaMetrics on free loopback ports.

Throughput: N telemetry messages (15 points each, one device poll) are queued in the
persistent session of a consumer while it is offline; then the consumer starts and the
bench times how fast it drains them, from the first message delivered to the last one
handled: a plain paho subscriber (QoS 1, auto-ack: the broker's delivery rate), then right
after it one ingest pipeline (validate, batch, write, ack), once per store, so that each
ratio compares two runs a few seconds apart on a machine whose load changes. The time
including start-up (ingest: opening and checking the store, then connecting; the plain
subscriber: connecting) is printed too.
Latency: a publisher process sends at a fixed rate with the publish time as the source
timestamp; the ingest's commit hook measures publish-to-written for every message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iiot_core import codec, topics
from iiot_core.model import SCHEMA_VERSION, Point, Telemetry
from iiot_core.mqtt_config import MqttConfig
from iiot_core.store import Record
from ingest_service.config import IngestSettings
from ingest_service.service import IngestService
from tests.support.servers import influxd, mosquitto, victoria_metrics

POINTS = 15
DEVICES = 200


def payloads(n: int, t0: int, step_ms: int = 1000) -> Iterator[tuple[str, bytes]]:
    """``n`` messages round-robin over DEVICES devices, each device a second apart."""
    for i in range(n):
        dev, poll = i % DEVICES, i // DEVICES
        ts = t0 + poll * step_ms
        pts = [Point(f"p{k}", poll + k * 0.5, ts, "kW") for k in range(POINTS)]
        msg = Telemetry(SCHEMA_VERSION, "s1", "a1", f"l{dev % 10}", f"m{dev}", poll + 1, ts, pts)
        yield topics.telemetry(msg.site, msg.area, msg.line, msg.device), codec.encode(msg)


def _client(port: int, client_id: str, clean: bool = True) -> paho.Client:
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    c.max_inflight_messages_set(65535)
    c.max_queued_messages_set(0)
    return c


def prefill(port: int, n: int) -> float:
    """Publish n QoS 1 messages as fast as possible; return the publish rate (msg/s).

    paho's network loop runs in this thread: with ``loop_start`` the publishing thread and
    the network thread fight over the GIL and the rate drops tenfold.
    """
    c = _client(port, "bench-pub")
    done = {"n": 0}
    c.on_publish = lambda *_a: done.__setitem__("n", done["n"] + 1)
    c.connect("127.0.0.1", port)
    t0 = time.perf_counter()
    for i, (topic, body) in enumerate(payloads(n, int(time.time() * 1000) - 86_400_000)):
        c.publish(topic, body, qos=1)
        if i % 100 == 99:
            c.loop(0)
    while done["n"] < n:
        c.loop(0.01)
    rate = n / (time.perf_counter() - t0)
    c.disconnect()
    return rate


def make_session(port: int, client_id: str) -> None:
    """Create a persistent session subscribed to all telemetry, then leave it offline."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    c = _client(port, client_id)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.loop_start()
    time.sleep(0.2)
    c.subscribe(topics.TELEMETRY_FILTER, qos=1)
    time.sleep(0.3)
    c.disconnect()
    c.loop_stop()


def plain_subscriber(port: int, client_id: str, n: int) -> tuple[float, float]:
    """Drain n queued messages with a plain paho subscriber (auto-ack); (msg/s from the first
    message, seconds from the connect)."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    c = _client(port, client_id)
    got = {"n": 0, "t0": 0.0, "t1": 0.0}

    def on_message(*_a: object) -> None:
        if got["n"] == 0:
            got["t0"] = time.perf_counter()
        got["n"] += 1
        if got["n"] == n:
            got["t1"] = time.perf_counter()

    c.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 20000
    start = time.perf_counter()
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.loop_start()
    while got["n"] < n and time.perf_counter() - start < 120:
        time.sleep(0.01)
    c.disconnect()
    c.loop_stop()
    if not got["t1"]:
        return got["n"] / 120, 120.0
    return (n - 1) / (got["t1"] - got["t0"]), got["t1"] - start


async def drain_ingest(broker_url: str, store_url: str, tmp: Path, n: int) -> tuple[float, float]:
    """Run one ingest pipeline on a pre-filled session; return (msg/s from the first message
    received to the last one written, seconds from the start of the service)."""
    done = {"n": 0, "t1": 0.0}
    finished = asyncio.Event()

    def hook(records: Sequence[Record]) -> None:
        done["n"] += len(records)
        if done["n"] >= n:
            done["t1"] = time.perf_counter()
            finished.set()

    cfg = IngestSettings(
        mqtt=MqttConfig(url=broker_url),
        store_url=store_url,
        data_dir=tmp,
        http_port=None,
        client_id="bench-ingest",
        status_interval_s=3600,
    )
    svc = IngestService(cfg, on_commit=hook)
    t0 = time.perf_counter()
    task = asyncio.create_task(svc.run())
    async with asyncio.timeout(300):
        while svc.metrics.messages_in == 0:
            await asyncio.sleep(0.001)
        first = time.perf_counter()
        await finished.wait()
    svc.stop()
    await task
    return (n - 1) / (done["t1"] - first), done["t1"] - t0


def paced_publisher(port: int, rate: float, seconds: float) -> None:
    """Publish at ``rate`` msg/s with the publish time as source timestamp (network loop
    driven from this thread, see ``prefill``)."""
    c = _client(port, "bench-live-pub")
    c.connect("127.0.0.1", port)
    t_start = time.perf_counter()
    i = 0
    while (elapsed := time.perf_counter() - t_start) < seconds:
        due = int(elapsed * rate)
        while i < due:
            dev = i % DEVICES
            ts = int(time.time() * 1000)
            pts = [Point(f"p{k}", float(k), ts) for k in range(POINTS)]
            msg = Telemetry(SCHEMA_VERSION, "s1", "a1", f"l{dev % 10}", f"m{dev}", i + 1, ts, pts)
            c.publish(topics.telemetry("s1", "a1", msg.line, msg.device), codec.encode(msg), qos=1)
            i += 1
        c.loop(0.002)
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        c.loop(0.01)
    c.disconnect()


async def live_latency(
    broker_url: str, port: int, store_url: str, tmp: Path, rate: float, seconds: float
) -> tuple[float, float, int]:
    """Publish-to-written latency (ms) p50, p99 at a fixed rate."""
    lat: list[int] = []

    def hook(records: Sequence[Record]) -> None:
        now = int(time.time() * 1000)
        lat.extend(now - msg.ts for _m, msg in records)

    cfg = IngestSettings(
        mqtt=MqttConfig(url=broker_url),
        store_url=store_url,
        data_dir=tmp,
        http_port=None,
        client_id="bench-live",
        status_interval_s=3600,
    )
    svc = IngestService(cfg, on_commit=hook)
    task = asyncio.create_task(svc.run())
    await svc.wait_ready()
    await asyncio.sleep(0.3)
    proc = mp.get_context("spawn").Process(target=paced_publisher, args=(port, rate, seconds))
    proc.start()
    await asyncio.to_thread(proc.join)
    await asyncio.sleep(1.0)
    svc.stop()
    await task
    lat.sort()
    if not lat:
        return float("nan"), float("nan"), 0
    return lat[len(lat) // 2], lat[int(len(lat) * 0.99)], len(lat)


@contextlib.contextmanager
def stores(tmp: Path) -> Iterator[dict[str, str]]:
    (tmp / "influx").mkdir()
    (tmp / "vm").mkdir()
    with influxd(tmp / "influx") as ix, victoria_metrics(tmp / "vm") as vm:
        ix.query("CREATE DATABASE zcf")
        yield {
            "sqlite": f"sqlite:///{tmp}/bench.db",
            "influxdb-v1": ix.store_url(),
            "influxdb-v2 (VictoriaMetrics)": vm.store_url(),
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=40_000, help="messages per drain run")
    ap.add_argument("--rate", type=float, default=2000, help="msg/s for the latency run")
    ap.add_argument("--seconds", type=float, default=5, help="length of the latency run")
    ap.add_argument("--only", help="run only stores whose name contains this")
    ap.add_argument("--switch-interval", type=float, help="sys.setswitchinterval for this run")
    args = ap.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    n = args.messages
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        (tmp / "mq").mkdir()
        with mosquitto(tmp / "mq") as mq, stores(tmp) as urls:
            print(f"# {n} messages x {POINTS} points = {n * POINTS} points per run, {DEVICES} devices")
            pub_rate = 0.0
            for name, url in urls.items():
                if args.only and args.only not in name:
                    continue
                make_session(mq.port, "bench-plain")
                pub_rate = max(pub_rate, prefill(mq.port, n))
                broker, broker_s = plain_subscriber(mq.port, "bench-plain", n)
                make_session(mq.port, "bench-ingest")
                prefill(mq.port, n)
                rate, secs = asyncio.run(drain_ingest(mq.url, url, tmp, n))
                print(
                    f"broker -> plain subscriber     {broker * POINTS:>10,.0f} points/s  "
                    f"({broker:,.0f} msg/s, {broker_s:.1f} s with the connect)"
                )
                print(
                    f"ingest -> {name:<21}{rate * POINTS:>10,.0f} points/s  ({rate:,.0f} msg/s, "
                    f"{rate / broker:.0%} of broker; {secs:.1f} s with start-up, "
                    f"{broker_s / secs:.0%} of broker counting start-ups)"
                )
            print(
                f"publisher (paho, QoS 1)        {pub_rate * POINTS:>10,.0f} points/s  "
                f"({pub_rate:,.0f} msg/s)"
            )
            for name, url in urls.items():
                if args.only and args.only not in name:
                    continue
                p50, p99, cnt = asyncio.run(live_latency(mq.url, mq.port, url, tmp, args.rate, args.seconds))
                print(
                    f"latency {name:<23} p50 {p50:>5.0f} ms  p99 {p99:>5.0f} ms  at "
                    f"{args.rate * POINTS:,.0f} points/s ({cnt} messages)"
                )


if __name__ == "__main__":
    main()
