"""The hourly ledger: replayed from stored telemetry, and read back from stored results."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon_engine.accounts.ledger import Ledger, compare, ledger_from_results, ledger_from_store
from carbon_engine.accounts.periods import parse_period
from carbon_engine.results import WindowResult
from iiot_core.store import open_reader, open_writer
from tests.carbon_engine.accounts.plant_run import PlantRun, example
from tests.carbon_engine.helpers import ms

# 2026-12 starts at 2026-11-30T16:00Z in Shanghai; the run crosses it, and as of 18:00Z two
# hours of December are complete.
START_S = ms("2026-11-30T14:40:05Z") // 1000  # polls 5 s off the hour
AS_OF = ms("2026-11-30T18:00:00Z")


def live_ledger(run: PlantRun, period_key: str, as_of: int) -> Ledger:
    period = parse_period(period_key, run.plant.site.timezone)
    hours = [r for r in run.engine.results(size="1h") if period.start_ms <= r.start < as_of]
    return Ledger(run.plant.site.id, period, as_of, hours, "live")


def energy(hours: list[WindowResult], node: str) -> list[float]:
    return [r.values["energy_kwh"] for r in hours if r.node == node]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", ["sqlite", "influxdb-v1"])
async def test_replay_and_stored_results_equal_the_live_hours(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    plant, lib = example()
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/zcf.db?retention_days=0"
    else:
        url = request.getfixturevalue("influx").store_url()
    writer, reader = open_writer(url), open_reader(url)
    try:
        run = PlantRun(plant, lib, writer)
        await run.play(START_S, 4 * 3600, 10)
        period = parse_period("2026-12", plant.site.timezone)
        live = live_ledger(run, "2026-12", AS_OF)
        replay = await ledger_from_store(plant, lib, reader, period, AS_OF)
        stored = await ledger_from_results(plant, lib, reader, period, AS_OF)
        cold = await ledger_from_store(plant, lib, reader, period, AS_OF, lead=0)
    finally:
        await writer.close()
        await reader.close()
    nodes = {r.node for r in live.hours}
    assert len(live.hours) == 2 * len(nodes) and "plant1/assembly/line1" in nodes
    assert {r.start for r in replay.hours} == {period.start_ms, period.start_ms + 3_600_000}
    for other in (replay, stored):
        diff = compare(live, other)
        print(f"{other.source}: max relative difference {diff.max_rel:.3g} at {diff.where}")
        assert diff.only_a == [] and diff.only_b == []
        assert diff.compared > 2 * len(nodes) * 10
        assert diff.max_rel <= 1e-9, diff.where
    assert replay.samples > 0 and replay.lead_ms == (300 + 3600) * 1000
    # Without lead-in and lead-out the intervals across the period's edges are lost: the first
    # hour misses its first 5 s, the last its last 5 s (about 0.14 % each).
    for hot, short in zip(energy(live.hours, "plant1"), energy(cold.hours, "plant1"), strict=True):
        assert short == pytest.approx(hot * (1 - 5 / 3600), rel=2e-3) and short < hot * (1 - 1e-3)
