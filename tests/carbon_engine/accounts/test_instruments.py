"""Period matching rules on the sparse month's hours: order, remaining volume, lead-in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carbon_engine.accounts.instruments import match_ledger, match_period, matching_start
from carbon_engine.config import ContractCfg, PlantCfg
from carbon_engine.results import WindowResult
from tests.carbon_engine.accounts.replay import replay
from tests.carbon_engine.helpers import ms

MONTH = Path(__file__).parents[1] / "golden_accounts" / "month_certificates"
MAR, APR = ms("2024-02-29T16:00:00Z"), ms("2024-03-31T16:00:00Z")
_PLANT, _LIB, _RESULTS = replay(MONTH)
HOURS = [r for r in _RESULTS if r.size == "1h"]  # G: Mar 4 2000, Mar 12 5000, Mar 25 3000 kWh


def _with(*contracts: dict[str, Any]) -> PlantCfg:
    return _PLANT.model_copy(update={"contracts": [ContractCfg.model_validate(c) for c in contracts]})


def _gec(cid: str, start: str, end: str, n: int) -> dict[str, Any]:
    return {"id": cid, "kind": "gec", "periods": [{"start": start, "end": end, "certificates": n}]}


def test_the_pool_that_expires_first_is_used_first() -> None:
    plant = _with(_gec("long", "2024-03-01", "2024-03-31", 3), _gec("short", "2024-03-01", "2024-03-05", 2))
    m = match_period(plant, HOURS, MAR, APR)
    assert m.by_contract == pytest.approx({"long": 3000, "short": 2000})
    assert m.surplus_kwh == {}  # in file order "long" would take Mar 4 and "short" expire unused
    assert m.covered_kwh == pytest.approx(5000)


def test_volume_still_valid_after_the_period_is_remaining_not_surplus() -> None:
    plant = _with(_gec("year", "2024-03-01", "2024-12-31", 12))
    m = match_period(plant, HOURS, MAR, APR)
    (use,) = m.pools
    assert (use.used_kwh, use.remaining_kwh, use.surplus_kwh) == pytest.approx((10000, 2000, 0))
    assert m.surplus_kwh == {} and m.scope2_market_kg == pytest.approx(0)


def test_a_running_period_counts_volume_after_its_as_of_time_as_remaining() -> None:
    plant = _with(_gec("early", "2024-03-01", "2024-03-10", 3))
    to_date = match_period(plant, HOURS, MAR, APR, as_of_ms=ms("2024-03-08T00:00:00Z"))
    closed = match_period(plant, HOURS, MAR, APR)
    assert to_date.pools[0].remaining_kwh == pytest.approx(1000) and to_date.surplus_kwh == {}
    assert closed.surplus_kwh == pytest.approx({"early": 1000})


def test_hours_must_reach_back_through_the_chain_of_valid_pools() -> None:
    half, feb1 = ms("2024-03-15T16:00:00Z"), ms("2024-01-31T16:00:00Z")
    chained = _with(_gec("feb", "2024-02-01", "2024-03-10", 5), _gec("mar", "2024-03-05", "2024-03-31", 5))
    apart = _with(_gec("feb", "2024-02-01", "2024-03-03", 5), _gec("mar", "2024-03-05", "2024-03-31", 5))
    # What "mar" had left on Mar 15 depends on what "feb" took from Mar 5, so on "feb" since Feb 1.
    assert matching_start(chained, half) == feb1
    assert matching_start(apart, half) == ms("2024-03-04T16:00:00Z")
    late = match_period(chained, HOURS, half, APR)
    assert "2024-02-01T00:00:00+08:00" in late.missing[0]
    assert match_period(chained, HOURS, half, APR, hours_from_ms=feb1).missing == []


def test_results_without_grid_residual_kg_are_refused() -> None:
    values = {"grid_import_kwh": 1.0}  # as an engine before that point published them
    old = [WindowResult(r.node, r.size, r.start, r.end, r.revision, values, ()) for r in HOURS]
    with pytest.raises(ValueError, match="grid_residual_kg"):
        match_period(_PLANT, old, MAR, APR)


@dataclass(frozen=True)
class _Period:
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class _Ledger:
    period: _Period
    as_of_ms: int
    hours: list[WindowResult]


def test_a_ledger_and_its_lead_in_match_like_the_hours() -> None:
    plant = _with(_gec("feb", "2024-02-01", "2024-03-10", 1), _gec("mar", "2024-03-05", "2024-03-31", 5))
    half, feb1 = ms("2024-03-15T16:00:00Z"), ms("2024-01-31T16:00:00Z")
    lead = _Ledger(_Period(feb1, half), half, [r for r in HOURS if r.start < half])
    ledger = _Ledger(_Period(half, APR), APR, [r for r in HOURS if r.start >= half])
    got = match_ledger(plant, ledger, lead)
    assert got == match_period(plant, HOURS, half, APR, APR, hours_from_ms=feb1)
    # Mar 4: "feb" 1000 ("mar" starts Mar 5); Mar 12: "mar" all 5000; after Mar 15: nothing left
    assert got.missing == [] and got.covered_kwh == pytest.approx(0)
    assert match_ledger(plant, ledger).missing != []
