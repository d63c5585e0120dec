"""A report dict built from real engine output, for the renderers' tests.

Three hours of the simulated plant run through the real ``Engine``; the period totals are the
sums of its 1h results per node (what ``totals.period_totals`` does over the ledger), and the
sections are made by the report's own section builders. Instruments, indicators, offsets and
data quality are filled with figures derived from those totals, so that every table has rows.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from carbon_engine.accounts.ledger import Difference
from carbon_engine.accounts.report_parts import PeriodInfo, ReportParts, assemble, header, recompute_section
from carbon_engine.accounts.report_sections import (
    emissions_section,
    energy_section,
    factors_section,
    nodes_section,
)
from carbon_engine.engine import Engine
from tests.support.engine_setup import PLANT_FILE
from tests.support.plant_feed import PlantFeed

END_S = 1_795_000_000.0  # 2026-11-18 local: a fixed time, so the figures do not depend on today
HOURS = 3


def engine_hours() -> tuple[Engine, int, int]:
    engine = Engine.from_file(PLANT_FILE)
    start = END_S - HOURS * 3600
    feed = PlantFeed(start, now_s=END_S)
    t = start
    while t <= END_S:
        for msg in feed.messages(t):
            engine.ingest(msg, int(t * 1000))
        engine.advance(int(t * 1000))
        t += 10
    engine.advance(int(END_S * 1000) + 2 * 86_400_000)
    return engine, int(start * 1000), int(END_S * 1000)


def sums(engine: Engine, additive: set[str]) -> tuple[dict[str, dict[str, float]], float, set[str], int]:
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    tags: set[str] = set()
    hours = engine.results(size="1h")
    market = 0.0
    for r in hours:
        for k, v in r.values.items():
            if k in additive or k.endswith(("_nm3", "_t")):
                totals[r.node][k] += v
        if r.node == engine.site:
            market += r.values.get("scope2_market_kg", 0.0)
        tags |= set(r.factor_versions)
    return {n: dict(v) for n, v in totals.items()}, market, tags, len({r.start for r in hours})


def build(plant_path: Path = PLANT_FILE) -> dict[str, Any]:
    engine, start_ms, end_ms = engine_hours()
    additive = {
        "energy_kwh",
        "electricity_kwh",
        "scope1_kg",
        "scope2_location_kg",
        "upstream_kg",
        "units",
        "generation_kwh",
        "export_kwh",
        "grid_import_kwh",
        "self_consumed_kwh",
        "covered_kwh",
    }
    totals, market_estimate, tags, hours = sums(engine, additive)
    site = totals[engine.site]
    covered = site["covered_kwh"] * 0.5  # the period matching would give its own figure
    residual_factor = 0.6096
    s2m = (site["grid_import_kwh"] - covered) * residual_factor
    kgce = {
        "electricity": site["electricity_kwh"] * 0.1229,
        "natural_gas": site["natural_gas_nm3"] * 1.2143,
        "steam": site["steam_t"] * 128.6,
    }
    period = PeriodInfo("2026-11", "month", start_ms, end_ms + 12 * 86_400_000, end_ms)
    lib = engine.core.library
    gross_t = (site["scope1_kg"] + s2m) / 1000
    share = (site["self_consumed_kwh"] + covered) / site["electricity_kwh"]
    parts = ReportParts(
        header=header(
            engine.plant,
            plant_path,
            period,
            end_ms + 60_000,
            factors_section(lib, tags),
            "sqlite (test)",
            True,
        ),
        energy=energy_section(site, kgce, {"electricity": "gbt2589-electricity@2020"}),
        emissions=emissions_section(site, s2m, market_estimate),
        instruments={
            "covered_kwh": covered,
            "grid_kwh": site["grid_import_kwh"],
            "hourly_matched_kwh": covered * 0.8,
            "contracts": [{"id": "gec-2026", "kind": "gec", "label": "GEC", "applied_kwh": covered}],
            "surplus": [{"id": "ppa-wind", "kwh": 12.5}],
            "renewable_share_annual": share,
            "hourly_score": share * 0.8,
        },
        indicators=[
            {
                "id": "renewable_share",
                "label_en": "Renewable share",
                "label_zh": "可再生能源占比",
                "value": share,
                "unit": "1",
                "formula": "(self-consumed + covered) / electricity",
                "target": 0.35,
                "comparison": "min",
                "passed": share >= 0.35,
                "missing": None,
            },
            {
                "id": "carbon_per_tce",
                "label_en": "Carbon per tce",
                "label_zh": "单位能耗碳排放",
                "value": gross_t / (sum(kgce.values()) / 1000),
                "unit": "tCO2/tce",
                "formula": "gross / tce",
                "target": None,
                "comparison": None,
                "passed": None,
                "missing": "no target set",
            },
        ],
        offsets={
            "entries": [
                {
                    "serial": "CCER-2026-000123",
                    "registry": "CCER",
                    "kind": "ccer",
                    "vintage": 2025,
                    "tco2e": 0.5,
                    "retired_on": "2026-11-10",
                    "period": "2026-11",
                    "evidence": "retirement note 42",
                }
            ],
            "net": {
                "gross_t": gross_t,
                "base_gross_t": gross_t * 1.1,
                "reduction_t": gross_t * 0.1,
                "offsets_t": 0.5,
                "net_t": gross_t - 0.5,
                "zero_carbon": False,
                "failed_rules": ["net above zero"],
            },
            "rule": {"require_reduction": True, "max_share": 0.1},
        },
        footprints=[{"node": "assembly/line1", "product": "widget", "kg_per_unit": 1.234}],
        data_quality={
            "meters": [
                {
                    "meter": m.id,
                    "device": m.device,
                    "good_share": 1.0,
                    "estimated_share": 0.0,
                    "offline_s": 0.0,
                    "gaps": [] if i else [{"start_ms": start_ms + 60_000, "end_ms": start_ms + 120_000}],
                }
                for i, m in enumerate(engine.plant.meters)
            ]
        },
        nodes=nodes_section(engine.core.topo.nodes, totals),
        recompute=recompute_section(
            totals, totals, Difference(0.0, "", 10, [], []), (hours, hours, 0), engine.site
        ),
        missing=[{"key": "accounts.base_year", "needed_for": "reductions", "message": "not configured"}],
    )
    return assemble(parts)
