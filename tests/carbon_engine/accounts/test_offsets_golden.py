"""Golden cases of the offsets ledger and the reduce-first rule: data files, arithmetic in each README."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from carbon_engine.accounts.config import AccountsCfg
from carbon_engine.accounts.offsets import DuplicateSerial, Offset, apply_offsets, base_gross_t, ledger_for

GOLDEN = Path(__file__).parent / "golden"
NET_CASES = ["offsets_applied", "offsets_refused"]


def _case(name: str) -> tuple[AccountsCfg, dict[str, Any], dict[str, Any]]:
    raw = tomllib.loads((GOLDEN / name / "case.toml").read_text(encoding="utf-8"))
    expected = json.loads((GOLDEN / name / "expected.json").read_text(encoding="utf-8"))
    return AccountsCfg.model_validate(raw["accounts"]), raw.get("period", {}), expected


@pytest.mark.parametrize("name", NET_CASES)
def test_net_of_a_period(name: str) -> None:
    accounts, period, expected = _case(name)
    ledger = ledger_for(accounts.offsets, GOLDEN / name / "case.toml")
    assert ledger is not None
    offsets = ledger.for_period(period["key"])
    assert [o.serial for o in offsets] == expected["offsets_serials"]
    gross = period["scope1_t"] + period["scope2_market_t"]
    base = base_gross_t(accounts.base_year, period["share_of_year"])
    result = apply_offsets(gross, base, offsets, accounts.offsets)
    for key, value in expected["result"].items():
        got = getattr(result, key)
        assert got == (pytest.approx(value, abs=1e-9) if isinstance(value, float) else value), key
    assert len(result.reasons) == len(result.failed_rules)  # net is 0 in both: nothing remains


def test_duplicate_serial_is_refused(tmp_path: Path) -> None:
    case = GOLDEN / "offsets_duplicate"
    shutil.copy(case / "offsets.jsonl", tmp_path / "offsets.jsonl")
    accounts, _, expected = _case("offsets_duplicate")
    ledger = ledger_for(accounts.offsets, tmp_path / "plant.toml")
    assert ledger is not None
    offset = Offset.model_validate_json((case / "add.json").read_text(encoding="utf-8"))
    with pytest.raises(DuplicateSerial) as err:
        ledger.add(offset, by="test")
    for part in expected["error_contains"]:
        assert part in str(err.value)
    assert len(ledger.load()) == expected["records_after"]
    assert (tmp_path / "offsets.jsonl").read_bytes() == (case / "offsets.jsonl").read_bytes()
