"""Indicators against targets, on the tce golden plant (numbers by hand in its README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carbon_engine.accounts.config import AccountsCfg, QuotaCfg
from carbon_engine.accounts.indicators import Indicator, indicators, quota_level
from carbon_engine.accounts.instruments import match_period
from carbon_engine.accounts.targets import shipped_sets
from carbon_engine.config import PlantCfg
from tests.carbon_engine.accounts.replay import period_sums, replay
from tests.carbon_engine.helpers import ms

CASE = Path(__file__).parents[1] / "golden_accounts" / "tce_indicators"
START, END = ms("2024-02-29T16:00:00Z"), ms("2024-03-31T16:00:00Z")
PLANT, LIB, RESULTS = replay(CASE)
TOTALS = period_sums(RESULTS, START, END)
MATCHING = match_period(PLANT, [r for r in RESULTS if r.size == "1h"], START, END)


def _run(plant: PlantCfg = PLANT, kind: Any = "month", **kw: Any) -> dict[str, Indicator]:
    targets = kw.pop("targets", shipped_sets()["hunan-2030"])
    got = indicators(plant, TOTALS, MATCHING, LIB, START, kind, targets, **kw)
    return {i.id: i for i in got}


def _accounts(**update: Any) -> PlantCfg:
    return PLANT.model_copy(update={"accounts": AccountsCfg.model_validate(update)})


def test_a_year_compares_absolute_emissions_with_the_base_year() -> None:
    got = _run(kind="year")
    # base 3.0 + 10.0 = 13.0 t; this period 1.113756081 t
    assert got["reduction_t"].value == pytest.approx(13.0 - 1.113756081)
    assert got["reduction_share"].value == pytest.approx((13.0 - 1.113756081) / 13.0)
    assert got["reduction_t"].missing == "no target for it in set 'hunan-2030'"


def test_the_2030_targets_are_stricter() -> None:
    got = _run()
    assert got["carbon_per_energy"].target == 0.87 and got["carbon_per_energy"].passed is False
    assert got["renewable_share_energy"].target == 0.55 and got["renewable_share_energy"].passed is False
    assert got["footprint_reduction"].target is None  # the 2030 set names no footprint target


def test_without_base_year_or_targets_the_indicators_say_what_is_missing() -> None:
    got = _run(_accounts(), targets=None)
    assert got["carbon_per_energy"].value == pytest.approx(1.113756081 / 0.50153)
    assert got["carbon_per_energy"].missing == "no target set configured (accounts.target_set)"
    assert got["carbon_per_energy"].passed is None
    for ind in ("reduction_t", "reduction_share", "reduction_per_unit", "reduction_per_unit_share"):
        assert got[ind].value is None
        assert got[ind].missing == "no base year configured (accounts.base_year)", ind
    assert not any(i.startswith("energy_quota") for i in got)


def test_a_base_year_without_units_gives_no_per_unit_reduction() -> None:
    plant = _accounts(base_year={"year": 2020, "scope1_t": 3.0, "scope2_market_t": 10.0})
    got = _run(plant, kind="year")
    assert got["reduction_t"].value == pytest.approx(11.886243919)
    assert "base_year.units" in (got["reduction_per_unit"].missing or "")


def test_footprint_reduction_comes_from_the_footprint_module() -> None:
    targets = shipped_sets()["hunan-2027"]
    got = _run(targets=targets, extra={"footprint_reduction": 0.08})
    assert (got["footprint_reduction"].value, got["footprint_reduction"].passed) == (0.08, True)
    got = _run(targets=targets, extra={"footprint_reduction": 0.05})
    assert got["footprint_reduction"].passed is False


def test_a_carrier_without_coefficient_leaves_the_energy_indicators_open() -> None:
    totals = {k: dict(v) for k, v in TOTALS.items()}
    totals[PLANT.site.id]["hydrogen_kg"] = 5.0
    got = {i.id: i for i in indicators(PLANT, totals, MATCHING, LIB, START, "month", None)}
    for ind in ("carbon_per_energy", "renewable_share_energy", "energy_per_unit"):
        assert got[ind].value is None and "hydrogen" in (got[ind].missing or ""), ind
    assert got["carbon_per_unit"].value == pytest.approx(5.568780405)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (1.9, "advanced"),
        (2.0, "advanced"),
        (2.2, "access"),
        (2.5, "access"),
        (2.9, "limit"),
        (3.1, "above_limit"),
    ],
)
def test_quota_levels(value: float, level: str) -> None:
    q = QuotaCfg(node="assembly/line1", limit=3.0, access=2.5, advanced=2.0)
    assert quota_level(q, value) == level


def test_quota_levels_must_be_ordered_and_given() -> None:
    with pytest.raises(ValueError, match="advanced <= access <= limit"):
        QuotaCfg(node="", limit=2.0, access=2.5)
    with pytest.raises(ValueError, match="at least one"):
        QuotaCfg(node="")
    assert quota_level(QuotaCfg(node="", advanced=2.0), 2.5) == "none_met"
