"""A store holding what a deployment keeps of the example plant (telemetry and the engine's
results, as ingest writes them), for the report's tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carbon_engine.engine import Engine
from iiot_core.store import open_writer
from tests.carbon_engine.accounts.plant_run import EXAMPLE, PlantRun, example


@dataclass
class PlayedStore:
    url: str
    plant_path: Path
    engine: Engine  # the live engine that ran beside the store
    start_ms: int
    end_ms: int


async def played_store(folder: Path, start_s: int, seconds: int, plant_path: Path = EXAMPLE) -> PlayedStore:
    """``seconds`` of the plant from ``start_s``, polled every 10 s, into ``folder/zcf.db``."""
    plant, lib = example(plant_path)
    url = f"sqlite:///{folder}/zcf.db?retention_days=0"
    writer = open_writer(url)
    try:
        run = PlantRun(plant, lib, writer)
        await run.play(start_s, seconds, 10)
    finally:
        await writer.close()
    return PlayedStore(url, plant_path, run.engine, start_s * 1000, (start_s + seconds) * 1000)
