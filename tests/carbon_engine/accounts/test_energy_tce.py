"""Standard coal equivalent: the GB/T 2589 coefficients in the factor library, kgce per carrier."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon_engine.accounts.energy_tce import energy_tce
from carbon_engine.factors import DEFAULT_FILE, load_library, read_factor_file
from carbon_engine.units import BASE_UNIT
from tests.carbon_engine.helpers import ms

LIB = load_library("Asia/Shanghai")
AT = ms("2026-11-01T00:00:00Z")


def test_coefficients_are_data_with_their_source_and_base_unit() -> None:
    tce = {e.carrier: e for e in read_factor_file(DEFAULT_FILE) if e.kind == "tce"}
    assert set(tce) == {"electricity", "natural_gas", "diesel", "coal", "lpg", "heat", "steam"}
    assert tce["electricity"].value == 0.1229
    for carrier, e in tce.items():
        assert e.unit == f"kgce/{BASE_UNIT[carrier]}", e.id
        assert "GB/T 2589" in e.source, e.id
        if "kj_per_unit" in e.parameters:  # the appendix's coefficients: 29,271 kJ per kgce
            assert e.computed == pytest.approx(e.parameters["kj_per_unit"] / 29_271, rel=1e-3), e.id
    for doubtful in ("natural_gas", "steam", "lpg"):
        assert "(check)" in tce[doubtful].source


def test_kgce_per_carrier_and_comprehensive_consumption() -> None:
    totals = {"electricity_kwh": 1000.0, "natural_gas_nm3": 100.0, "steam_t": 2.0, "diesel_t": 0.5}
    e = energy_tce(totals, LIB, AT)
    # 1000 x 0.1229 = 122.9; 100 x 1.2143 = 121.43; 2 x 128.6 = 257.2; 0.5 x 1457.1 = 728.55
    assert e.by_carrier == pytest.approx(
        {"electricity": 122.9, "natural_gas": 121.43, "steam": 257.2, "diesel": 728.55}
    )
    assert e.total_kgce == pytest.approx(1230.08)
    assert {r.factor for r in e.rows} >= {"tce-electricity-equivalent@gbt2589"}
    assert e.missing == []


def test_a_carrier_without_coefficient_is_named_not_zero() -> None:
    e = energy_tce({"electricity_kwh": 10.0, "hydrogen_kg": 3.0}, LIB, AT)
    assert e.by_carrier == pytest.approx({"electricity": 1.229})
    assert len(e.missing) == 1 and "hydrogen" in e.missing[0] and "hydrogen_kg" in e.missing[0]


def test_a_site_file_overrides_a_coefficient(tmp_path: Path) -> None:
    f = tmp_path / "factors.toml"
    f.write_text(
        'schema = 1\n[[factor]]\nid = "tce-natural-gas"\ncarrier = "natural_gas"\nkind = "tce"\n'
        'value = 1.3284\nunit = "kgce/Nm3"\nsource = "supplier: measured 38,931 kJ/Nm3"\n'
        'publication = "2026"\nvalid_from = "2026-01-01"\nversion = "site-2026"\n'
    )
    lib = load_library("Asia/Shanghai", f)
    gas = energy_tce({"natural_gas_nm3": 100.0}, lib, AT)
    assert gas.by_carrier == pytest.approx({"natural_gas": 132.84})
