"""The offsets ledger file (corrupt lines, creation, concurrent writers) and the reduce-first rules."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon_engine.accounts.config import BaseYearCfg, OffsetRuleCfg
from carbon_engine.accounts.offsets import (
    DuplicateSerial,
    Offset,
    OffsetFileError,
    OffsetLedger,
    apply_offsets,
    base_gross_t,
    period_contains,
)


def _offset(serial: str, tco2e: float = 1.0, period: str = "2026-11") -> Offset:
    return Offset(
        serial=serial,
        registry="CCER registry",
        kind="ccer",
        vintage=2025,
        tco2e=tco2e,
        retired_on=dt.date(2026, 11, 2),
        period=period,
        evidence="certificate",
    )


def test_the_file_is_created_on_the_first_record_and_read_back(tmp_path: Path) -> None:
    ledger = OffsetLedger(tmp_path / "accounts" / "offsets.jsonl")
    assert ledger.load() == []
    ledger.add(_offset("A-1", 2.0), by="op1", now_ms=1000)
    ledger.add(_offset("A-2", 3.0, period="2026-12"), by="op1", now_ms=2000)
    records = ledger.load()
    assert [(r.serial, r.tco2e, r.recorded_by, r.recorded_at_ms) for r in records] == [
        ("A-1", 2.0, "op1", 1000),
        ("A-2", 3.0, "op1", 2000),
    ]
    assert [r.serial for r in ledger.for_period("2026-Q4")] == ["A-1", "A-2"]
    assert [r.serial for r in ledger.for_period("2026-12")] == ["A-2"]


def test_a_corrupt_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "offsets.jsonl"
    ledger = OffsetLedger(path)
    ledger.add(_offset("A-1"), by="op1")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + '{"serial": "A-2", "kind": "ccer"}' + "\n")
    with pytest.raises(OffsetFileError, match=rf"{path.name}:3: registry: Field required"):
        ledger.load()
    with pytest.raises(OffsetFileError, match=":3:"):
        ledger.add(_offset("A-3"), by="op1")  # nothing is appended to a file that does not read


def test_an_incomplete_last_line_is_reported_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "offsets.jsonl"
    OffsetLedger(path).add(_offset("A-1"), by="op1")
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"serial": "A-2", "regi')  # a write cut short
    with pytest.raises(OffsetFileError, match=r":2: the last line is incomplete"):
        OffsetLedger(path).load()


def _add_all(path: str) -> int:
    ledger, added = OffsetLedger(Path(path)), 0
    for i in range(30):
        try:
            ledger.add(_offset(f"S-{i}"), by="worker")
            added += 1
        except DuplicateSerial:
            pass
    return added


def test_two_writers_record_each_serial_once(tmp_path: Path) -> None:
    path = tmp_path / "offsets.jsonl"
    with ProcessPoolExecutor(2) as pool:
        added = sum(pool.map(_add_all, [str(path), str(path)]))
    serials = [r.serial for r in OffsetLedger(path).load()]
    assert added == 30
    assert sorted(serials) == sorted(f"S-{i}" for i in range(30))


def test_bad_offsets_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="tco2e"):
        _offset("A-1", tco2e=0.0)
    with pytest.raises(ValueError, match="period"):
        _offset("A-1", period="2026-13")
    with pytest.raises(ValueError, match="serial"):
        _offset("A 1")


@pytest.mark.parametrize(
    ("outer", "inner", "inside"),
    [
        ("2026", "2026-11", True),
        ("2026", "2026-Q4", True),
        ("2026-Q4", "2026-11", True),
        ("2026-Q4", "2026-09", False),
        ("2026-11", "2026", False),
        ("2026-11", "2026-11", True),
        ("2026", "2025-12", False),
    ],
)
def test_period_contains(outer: str, inner: str, inside: bool) -> None:
    assert period_contains(outer, inner) is inside


def test_without_offsets_a_period_is_zero_carbon_only_at_zero_gross() -> None:
    rule = OffsetRuleCfg()
    assert apply_offsets(0.0, None, [], rule).zero_carbon
    result = apply_offsets(4.0, None, [], rule)
    assert (result.zero_carbon, result.failed_rules, result.net_t) == (False, [], 4.0)


def test_offsets_without_a_base_year_say_it_is_missing() -> None:
    result = apply_offsets(5.0, None, [_offset("A-1", 5.0)], OffsetRuleCfg())
    assert result.failed_rules == ["base_year_missing"]
    assert "no base year is configured" in result.reasons[0]
    assert result.reduction_t is None and result.net_t == 0.0 and not result.zero_carbon
    relaxed = apply_offsets(5.0, None, [_offset("A-1", 5.0)], OffsetRuleCfg(require_reduction=False))
    assert relaxed.zero_carbon and relaxed.failed_rules == []


def test_share_of_the_base_year_needs_a_base_year() -> None:
    rule = OffsetRuleCfg(require_reduction=False, share_of="base_year", max_share=0.1)
    assert apply_offsets(5.0, None, 5.0, rule).failed_rules == ["base_year_missing"]
    assert apply_offsets(5.0, 100.0, 5.0, rule).zero_carbon
    assert apply_offsets(11.0, 100.0, 11.0, rule).failed_rules == ["max_share"]


def test_base_gross_needs_both_figures_and_scales_with_the_period() -> None:
    assert base_gross_t(None) is None
    assert base_gross_t(BaseYearCfg(year=2024, scope1_t=10.0)) is None
    assert base_gross_t(BaseYearCfg(year=2024, scope1_t=10.0, scope2_market_t=26.5), 0.5) == 18.25


@settings(max_examples=300, deadline=None)
@given(
    gross=st.floats(0, 1e6),
    base=st.none() | st.floats(0, 1e6),
    offsets=st.floats(0, 1e6),
    share=st.floats(0, 1),
    share_of=st.sampled_from(["gross", "base_year"]),
    require=st.booleans(),
)
def test_gross_reduction_offsets_and_net_stay_apart_and_consistent(
    gross: float,
    base: float | None,
    offsets: float,
    share: float,
    share_of: Literal["gross", "base_year"],
    require: bool,
) -> None:
    rule = OffsetRuleCfg(require_reduction=require, max_share=share, share_of=share_of)
    r = apply_offsets(gross, base, offsets, rule)
    assert 0.0 <= r.net_t <= gross and 0.0 <= r.applied_t <= min(offsets, gross)
    assert r.net_t + r.applied_t == pytest.approx(gross)
    assert r.offsets_t == offsets and r.gross_t == gross
    assert (r.reduction_t is None) == (base is None)
    if r.zero_carbon:
        assert r.failed_rules == [] and r.net_t == pytest.approx(0.0, abs=1e-9)
    if offsets > gross + 1e-9:
        assert "exceeds_residual" in r.failed_rules
    if offsets > 0 and require and base is not None and gross >= base:
        assert "require_reduction" in r.failed_rules
    if offsets == 0:
        assert r.failed_rules == []
