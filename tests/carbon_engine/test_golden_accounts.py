"""Golden cases of the period accounts: engine input in, period figures out, worked by hand (README)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from carbon_engine.accounts.energy_tce import energy_tce
from carbon_engine.accounts.indicators import Indicator, indicators
from carbon_engine.accounts.instruments import match_period
from carbon_engine.accounts.targets import resolve_target_set
from carbon_engine.results import WindowResult
from tests.carbon_engine.accounts.replay import period_sums, replay
from tests.carbon_engine.helpers import ms

GOLDEN = Path(__file__).parent / "golden_accounts"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


def _approx(got: Any, want: Any, where: str) -> None:
    if want is None:
        assert got is None, where
    else:
        assert got == pytest.approx(want, rel=1e-6, abs=1e-6), where


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_accounts_case(case: Path) -> None:
    plant, lib, results = replay(case)
    expected = json.loads((case / "expected.json").read_text())
    hours = [r for r in results if r.size == "1h"]
    start, end = ms(expected["period"]["start"]), ms(expected["period"]["end"])
    m = match_period(plant, hours, start, end)
    for key, want in expected.get("matching", {}).items():
        _approx(getattr(m, key), want, f"matching.{key}")
    for field in ("by_contract", "surplus_kwh", "by_node"):
        for key, want in expected.get(field, {}).items():
            _approx(getattr(m, field).get(key), want, f"{field}[{key}]")
        if field == "surplus_kwh" and field in expected:
            assert set(m.surplus_kwh) == set(expected[field]), "surplus only where volume was left"
    _window_sums(results, plant.site.id, start, end, expected.get("window_sums", {}))
    totals = period_sums(results, start, end)
    if "tce" in expected:
        tce = energy_tce(totals[plant.site.id], lib, start)
        for key, want in expected["tce"]["by_carrier"].items():
            _approx(tce.by_carrier.get(key), want, f"tce[{key}]")
        _approx(tce.total_kgce, expected["tce"]["total_kgce"], "comprehensive energy kgce")
    if "indicators" in expected:
        targets = resolve_target_set(plant, case / "plant.toml")
        kind = expected["period"]["kind"]
        got = {i.id: i for i in indicators(plant, totals, m, lib, start, kind, targets)}
        for ind, want in expected["indicators"].items():
            _indicator(got[ind], want)
    for split in expected.get("splits", []):
        bounds = [ms(b) for b in split["bounds"]]
        parts = [match_period(plant, hours, a, b) for a, b in itertools.pairwise(bounds)]
        for part, want in zip(parts, split["covered_kwh"], strict=True):
            _approx(part.covered_kwh, want, f"split covered {split['bounds']}")
        _approx(sum(p.covered_kwh for p in parts), m.covered_kwh, "the parts add up to the whole")


def _indicator(got: Indicator, want: dict[str, Any]) -> None:
    """Each expected field: value, target (approx), passed, level (exact), missing (a phrase of it)."""
    for key in ("value", "target"):
        if key in want:
            _approx(getattr(got, key), want[key], f"{got.id}.{key}")
    for key in ("passed", "level", "comparison"):
        if key in want:
            assert getattr(got, key) == want[key], f"{got.id}.{key}"
    if "missing" in want:
        assert (got.missing is None) if want["missing"] is None else (want["missing"] in (got.missing or ""))


def _window_sums(
    results: list[WindowResult], site: str, start: int, end: int, sums: dict[str, dict[str, float]]
) -> None:
    """Sums of the live per-window figures of the site over the period (the estimates)."""
    for size, points in sums.items():
        rows = [r for r in results if r.node == site and r.size == size and start <= r.start < end]
        for key, want in points.items():
            _approx(sum(r.values.get(key, 0.0) for r in rows), want, f"{size} windows: sum of {key}")


def test_every_case_documents_its_arithmetic() -> None:
    for case in CASES:
        assert (case / "README.md").is_file(), case.name
