"""A store holding what a deployment keeps of the example plant (telemetry and the engine's
results, as ingest writes them), for the report's tests."""

from __future__ import annotations

import shutil
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


ACCOUNTS = """
[accounts.base_year]
year = 2024
scope1_t = 9000
scope2_market_t = 40000
energy_tce = 20000
units = 5000000
source = "verified 2024 inventory (test)"

[[accounts.targets]]
name = "site-2026"
targets = [
  { indicator = "renewable_share_electricity", min = 0.35 },
  { indicator = "carbon_per_energy", max = 1.25 },
]

[accounts.offsets]
file = "offsets.jsonl"
"""


OFFSET = (
    '{"serial":"VCS-9999-2024-0000001-0003500","registry":"Verra","kind":"vcs","vintage":2024,'
    '"tco2e":10.0,"retired_on":"2026-11-03","period":"2026-11","evidence":"example retirement",'
    '"recorded_at_ms":1793664000000,"recorded_by":"test"}'
)


def configured_plant(folder: Path) -> Path:
    """The example plant with a base year, its own target set and an offsets ledger holding one
    offset retired against 2026-11, in ``folder`` (with the supplier files it names)."""
    plant = folder / "plant.toml"
    text = EXAMPLE.read_text().replace('target_set = "hunan-2027"', 'target_set = "site-2026"', 1)
    plant.write_text(text + ACCOUNTS)
    shutil.copytree(EXAMPLE.parent / "suppliers", folder / "suppliers")
    (folder / "offsets.jsonl").write_text(OFFSET + "\n")
    return plant
