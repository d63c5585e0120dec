"""Data quality of a period (golden case ``quality_case``, worked out by hand in its README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbon_engine.accounts.ledger import ledger_from_store
from carbon_engine.accounts.periods import parse_period
from carbon_engine.accounts.quality import QualityTracker, ledger_with_quality
from carbon_engine.config import load_plant
from carbon_engine.factors import load_library
from iiot_core.model import SCHEMA_VERSION, Point, Quality, Telemetry
from iiot_core.store import open_reader, open_writer
from tests.carbon_engine.helpers import ms, read_lines

CASE = Path(__file__).parent / "quality_case"


def _records(lines: list[dict[str, object]]) -> list[tuple[str, Telemetry]]:
    out = []
    for i, line in enumerate(lines):
        ts, quality = ms(str(line["ts"])), dict(line.get("quality", {}))  # type: ignore[call-overload]
        points = [
            Point(k, float(v), ts, "", Quality(quality.get(k, "good")))
            for k, v in dict(line["points"]).items()  # type: ignore[call-overload]
        ]
        msg = Telemetry(SCHEMA_VERSION, "plant1", "a", "l1", str(line["device"]), i, ts, points)
        out.append(("telemetry", msg))
    return out


async def test_coverage_gaps_estimated_share_and_offline_time(tmp_path: Path) -> None:
    plant = load_plant(CASE / "plant.toml")
    lib = load_library(plant.site.timezone, None, plant.site.grid_region)
    expected = json.loads((CASE / "expected.json").read_text())
    url = f"sqlite:///{tmp_path}/zcf.db?retention_days=0"
    writer, reader = open_writer(url), open_reader(url)
    try:
        await writer.write(_records(read_lines(CASE / "input.jsonl")))
        period = parse_period(expected["period"], plant.site.timezone)
        as_of = ms(expected["as_of"])
        tracker = QualityTracker(plant, period, as_of)
        ledger = await ledger_from_store(plant, lib, reader, period, as_of, on_page=tracker.observe)
        _, early = await ledger_with_quality(plant, lib, reader, period, ms("2026-11-30T17:32:00Z"))
    finally:
        await writer.close()
        await reader.close()
    site = [r.values["energy_kwh"] for r in ledger.node("plant1")]
    assert sum(site) == pytest.approx(expected["site_energy_kwh"], rel=1e-9)
    q = tracker.result(ledger)
    assert (q.start_ms, q.end_ms) == (period.start_ms, as_of)
    got = {m.meter: m for m in q.meters}
    for meter, want in expected["meters"].items():
        m = got[meter]
        assert m.good_share == pytest.approx(want["good_share"], abs=1e-12), meter
        assert m.estimated_share == pytest.approx(want["estimated_share"], abs=1e-9), meter
        assert [(g.start_ms, g.end_ms) for g in m.gaps] == [(ms(a), ms(b)) for a, b in want["gaps"]], meter
        assert (m.gap_count, m.gap_seconds) == (len(want["gaps"]), want["gap_seconds"]), meter
        assert (m.samples, m.unusable) == (want["samples"], want["unusable"]), meter
    assert {d.device: d.offline_s for d in q.devices} == expected["devices"]
    assert {d.offline_after_s for d in q.devices} == {180.0}
    # As of 01:32 the line meter's last sample (01:30) is 120 s old: still covered, no gap.
    line = next(m for m in early.meters if m.meter == "line")
    assert (line.good_share, line.gaps) == (1.0, [])
