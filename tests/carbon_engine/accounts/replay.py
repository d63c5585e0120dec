"""Golden-style input (plant.toml + input.jsonl) through ``EngineCore``: every window result."""

from __future__ import annotations

from pathlib import Path

from carbon_engine.accounts import totals
from carbon_engine.config import PlantCfg, factor_file, load_plant
from carbon_engine.core import EngineCore
from carbon_engine.factors import FactorLibrary, load_library
from carbon_engine.results import WindowResult
from tests.carbon_engine.helpers import DAY_MS, ms, read_lines, telemetry


def load_case(case: Path) -> tuple[PlantCfg, FactorLibrary]:
    plant = load_plant(case / "plant.toml")
    path = case / "plant.toml"
    lib = load_library(plant.site.timezone, factor_file(plant, path), plant.site.grid_region, str(path))
    return plant, lib


def replay(case: Path) -> tuple[PlantCfg, FactorLibrary, list[WindowResult]]:
    """Play the lines as ``test_golden`` does, then let the idle clock close every window.

    Returns every result published (latest revision of each window), all window sizes."""
    plant, lib = load_case(case)
    core = EngineCore(plant, lib)
    out: dict[tuple[str, str, int], WindowResult] = {}
    last = 0

    def advance(now: int) -> None:
        for r in core.advance_windows(now):
            out[(r.node, r.size, r.start)] = r

    for i, line in enumerate(read_lines(case / "input.jsonl")):
        if "advance" in line:
            last = ms(line["advance"])
            advance(last)
        else:
            ts = ms(line["ts"])
            core.ingest_many([telemetry(line["device"], ts, line["points"], seq=i)])
            last = max(last, ts)
    advance(last + 2 * DAY_MS)
    advance(last + 4 * DAY_MS)  # data stopped: the idle clock moves the watermark past the end
    return plant, lib, sorted(out.values(), key=lambda r: (r.start, r.size, r.node))


# The period totals' additive points, and the window-matched market figure summed as it is.
ADDITIVE = (*totals.ADDITIVE, "scope2_market_kg")


def period_sums(results: list[WindowResult], start: int, end: int) -> dict[str, dict[str, float]]:
    """Additive sums of the 1h results per node over [start, end) (what the ledger's totals give)."""
    out: dict[str, dict[str, float]] = {}
    for r in results:
        if r.size == "1h" and start <= r.start < end:
            node = out.setdefault(r.node, {})
            for k in ADDITIVE:
                if k in r.values:
                    node[k] = node.get(k, 0.0) + r.values[k]
    return out
