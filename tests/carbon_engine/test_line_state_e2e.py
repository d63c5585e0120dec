"""A line PLC whose state is a string, end to end: OPC UA -> edge -> Mosquitto -> store, engine, API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from carbon_engine.api import create_app
from carbon_engine.engine import Engine
from carbon_engine.service import EngineService
from iiot_core.mqtt_config import MqttConfig
from iiot_core.store import Selector, StoreReader, open_reader
from iiot_core.store.base import MEASUREMENT_CARBON, LatestValue
from ingest_service.service import IngestService
from simulators.plant import PlantSpec, run_plant
from simulators.profiles import STATE_NAMES
from tests.ingest_service.helpers import running as ingest_running
from tests.ingest_service.helpers import settings as ingest_settings
from tests.support.api_tokens import api_settings, auth
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"
LINE1 = "plant1/assembly/line1"
# 150 simulated seconds (15 s at speed 10) before the end of the changeover at the start of the
# afternoon shift: line1's PLC shows "stopped", then the scenario's state of the next 5-minute slot.
START = datetime(2025, 6, 2, 14, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


async def _until(cond: Callable[[], object], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


@pytest.mark.timeout(180)
async def test_string_state_reaches_mqtt_the_store_the_engine_and_the_api(
    broker: Mosquitto, tmp_path: Path
) -> None:
    collector = Collector(broker.url)
    await collector.conn.start(wait_s=5)
    store = f"sqlite:///{tmp_path / 'zcf.db'}"
    engine = Engine.from_file(EXAMPLE, tmp_path / "engine")
    service = EngineService(engine, MqttConfig(url=broker.url), tick_s=0.1)
    task = asyncio.create_task(service.run())
    only = {"line1-meter", "line1-plc"}
    try:
        async with (
            ingest_running(ingest_settings(broker.url, store, tmp_path)) as ingest,
            run_plant(PlantSpec.example(), ports="free", speed=10, start=START, only=only) as plant,
        ):
            assert isinstance(ingest, IngestService)
            cfg = config_for(plant, broker.url, tmp_path, only=only, poll_s=0.5)
            async with running(cfg):
                # MQTT: the PLC's "stopped" arrives as its code, 3, of good quality.
                def codes() -> list[float]:
                    return [
                        p.value
                        for m in collector.telemetry["line1-plc"]
                        for p in m.points
                        if p.name == "line_state"
                    ]

                await _until(lambda: 3.0 in codes(), 15)
                line = await _line_live(engine, "stopped")
                assert line["idle_today_kwh"] > 0 and line["idle_share_today"] == pytest.approx(1.0)
                # After the changeover the PLC shows the scenario's state (sim time runs 10x).
                await _until(lambda: plant.truth("line1-plc", "state_text") != 3.0, 20)
                after = STATE_NAMES[int(plant.truth("line1-plc", "state_text"))]
                await _until(lambda: codes()[-1] != 3.0, 10)
                await _line_live(engine, after)
                # The store: the code as a float field; the engine's idle energy in its results.
                reader = open_reader(store)
                try:
                    await _until_stored(reader, Selector(device="line1-plc", fields=("line_state",)), 15)
                    carbon = Selector(
                        MEASUREMENT_CARBON, line="line1", device="carbon-1m", fields=("idle_energy_kwh",)
                    )
                    stored = await _until_stored(reader, carbon, 75)
                finally:
                    await reader.close()
            assert any(v.value > 0 for v in stored), stored
            assert {v.quality for v in stored} <= {"good", "estimated"}
    finally:
        service.stop()
        await asyncio.wait_for(task, 10)
        await collector.conn.stop()


async def _line_live(engine: Engine, state: str) -> dict[str, object]:
    """``/api/v1/live`` until line1 shows ``state``; its item."""
    app = create_app(api_settings(), engine, None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test", headers=auth()) as c:
        deadline = time.monotonic() + 15
        while True:
            items = (await c.get("/api/v1/live")).json()
            line = next(i for i in items if i["path"] == LINE1)
            if line["state"] == state and line["idle_today_kwh"] is not None:
                return dict(line)
            assert time.monotonic() < deadline, line
            await asyncio.sleep(0.2)


async def _until_stored(reader: StoreReader, sel: Selector, within_s: float) -> list[LatestValue]:
    deadline = time.monotonic() + within_s
    while True:
        got = await reader.latest(sel)
        if got:
            return list(got)
        assert time.monotonic() < deadline, f"nothing stored for {sel}"
        await asyncio.sleep(0.5)
