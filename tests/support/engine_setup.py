"""The engine under test: the real ``Engine`` on the example plant file, fed with telemetry
generated from the simulators' scenario, its published results written to a SQLite store
the way ingest stores them (measurement ``carbon``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from carbon_engine.engine import Engine
from carbon_engine.results import Outbound
from iiot_core import topics
from iiot_core.codec import decode_telemetry
from iiot_core.model import SCHEMA_VERSION, DeviceStatus, Telemetry
from iiot_core.store import MEASUREMENT_CARBON, Record, open_writer
from tests.support.plant_feed import SITE, PlantFeed

PLANT_FILE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "plant.toml"
STEP_S = 10.0
# An edge agent of the site loses its connection this long before "now": a raised alert.
OFFLINE_AGENT = "edge-1"
OFFLINE_FOR_S = 300.0


@dataclass
class FedPlant:
    engine: Engine
    feed: PlantFeed
    store_url: str
    start_ms: int
    end_ms: int
    results: int = 0
    published: list[Outbound] = field(default_factory=list)

    @property
    def view(self) -> Engine:
        return self.engine


def results_of(out: list[Outbound], now_ms: int) -> list[Record]:
    """The engine's result messages, as ingest would store them."""
    records: list[Record] = []
    for o in out:
        parsed = topics.parse_device_topic(o.topic)
        if parsed is not None and parsed.kind == "result":
            records.append((MEASUREMENT_CARBON, decode_telemetry(o.payload, now_ms)))
    return records


def feed_messages(engine: Engine, messages: list[Telemetry], now_ms: int) -> None:
    for msg in messages:
        engine.ingest(msg, now_ms)


def plant_variant(folder: Path, engine_lines: str = "", meter: str = "", meter_line: str = "") -> Path:
    """The example plant file with extra lines under ``[engine]`` and in one meter's table."""
    text = PLANT_FILE.read_text()
    text = text.replace("[engine]\n", f"[engine]\n{engine_lines}\n", 1)
    if meter:
        key = f'id = "{meter}"\n'
        assert key in text, f"no meter {meter} in {PLANT_FILE}"
        text = text.replace(key, f"{key}{meter_line}\n", 1)
    path = folder / "plant.toml"
    path.write_text(text)
    return path


async def feed_plant(
    db: Path, minutes: float = 60.0, plant_file: Path = PLANT_FILE, also: tuple[str, ...] = ()
) -> FedPlant:
    """An hour of plant telemetry up to now through the engine; results into ``db`` (and the
    stores of the URLs in ``also``)."""
    engine = Engine.from_file(plant_file)
    end = time.time()
    start = end - minutes * 60
    feed = PlantFeed(start)
    url = f"sqlite:///{db}"
    plant = FedPlant(engine, feed, url, int(start * 1000), int(end * 1000))
    records: list[Record] = []
    t = start
    agent_down = False
    while t <= end:
        now_ms = int(t * 1000)
        feed_messages(engine, feed.messages(t), now_ms)
        if not agent_down and t > end - OFFLINE_FOR_S:
            agent_offline(engine, OFFLINE_AGENT, now_ms)
            agent_down = True
        out = engine.advance(now_ms)
        records += results_of(out, now_ms)
        t += STEP_S
    for each in (url, *also):
        writer = open_writer(each)
        try:
            await writer.write(records)
        finally:
            await writer.close()
    plant.results = len(records)
    return plant


def agent_offline(engine: Engine, agent: str, now_ms: int) -> None:
    """The retained last-will status of an edge agent that lost its connection."""
    status = DeviceStatus(SCHEMA_VERSION, "offline", now_ms, "connection lost", now_ms)
    engine.status(topics.agent_status(SITE, agent), status)


def live_feeder(
    plant: FedPlant, period_s: float = 0.5, devices_stopped: threading.Event | None = None
) -> Callable[[], Awaitable[None]]:
    """Keep the engine fed in real time (as the MQTT service would); after a few ticks an
    edge agent goes offline, which raises a fresh critical alert. Once ``devices_stopped`` is
    set no telemetry comes any more, while the engine's clock goes on."""

    async def feed() -> None:
        n = 0
        while True:
            await asyncio.sleep(period_s)
            n += 1
            now = time.time()
            now_ms = int(now * 1000)
            if devices_stopped is None or not devices_stopped.is_set():
                feed_messages(plant.engine, plant.feed.messages(now), now_ms)
            if n == 4:
                agent_offline(plant.engine, "edge-2", now_ms)
            plant.published += plant.engine.advance(now_ms)

    return feed
