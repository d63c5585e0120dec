"""Plant file validation and the factor library."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carbon_engine import cli
from carbon_engine.config import check, load_plant
from carbon_engine.factors import load_library
from iiot_core.errors import ConfigError
from tests.carbon_engine.helpers import ms

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"

BAD = """
[site]
id = "plant1"
timezone = "Mars/Olympus"
grid_region = "east"

[[areas]]
id = "assembly"
lines = [{ id = "line1" }]

[[meters]]
id = "grid"
device = "main-meter"
point = "import_energy"
role = "grid_import"
carrier = "electricity"
unit = "kW"

[[meters]]
id = "l1"
device = "line1-meter"
point = "import_energy"
carrier = "electricity"
node = "assembly/line9"
parent = "nope"

[[meters]]
id = "gas"
device = "line1-plc"
point = "gas_total"
carrier = "natural_gas"
parent = "grid"

[[alerts]]
id = "a1"
kind = "threshold"
node = "plant1/assembly/line7"
point = "carbon_bananas"
above = 1
"""


def test_example_plant_is_valid() -> None:
    assert check(EXAMPLE) == []
    cfg = load_plant(EXAMPLE)
    assert cfg.site.id == "plant1" and cfg.site.grid_region == "east"


def test_bad_plant_names_file_key_and_problem(tmp_path: Path) -> None:
    f = tmp_path / "plant.toml"
    f.write_text(BAD)
    problems = check(f)
    text = "\n".join(problems)
    assert all(line.startswith(f"{f}: ") for line in problems)
    assert "site.timezone" in text and "Mars/Olympus" in text


def test_cross_checks_name_each_fault(tmp_path: Path) -> None:
    f = tmp_path / "plant.toml"
    f.write_text(BAD.replace("Mars/Olympus", "Asia/Shanghai"))
    text = "\n".join(check(f))
    assert f"{f}: meters[0].unit: 'kW' is not a counter unit of electricity" in text
    assert f"{f}: meters[1].node: unknown node 'assembly/line9'" in text
    assert f"{f}: meters[1].parent: unknown meter 'nope'" in text
    assert f"{f}: meters[2].parent: 'grid' measures electricity, not natural_gas" in text
    assert f"{f}: alerts[0].node: unknown node 'plant1/assembly/line7'" in text
    assert f"{f}: alerts[0].point: unknown output point 'carbon_bananas'" in text


def test_generation_and_sub_meters_sit_inside_their_parent(tmp_path: Path) -> None:
    f = tmp_path / "plant.toml"
    pv_behind_line = EXAMPLE.read_text().replace('parent = "grid"          #', 'parent = "line1-elec"    #')
    press_on_other_line = """
[[meters]]
id = "press"
device = "press-meter"
point = "import_energy"
carrier = "electricity"
node = "assembly/line2"
parent = "line1-elec"
"""
    f.write_text(pv_behind_line + press_on_other_line)
    shutil.copytree(EXAMPLE.parent / "suppliers", tmp_path / "suppliers")  # the plant names a supplier
    assert check(f) == [
        f"{f}: meters[1].parent: a generation meter sits behind the grid import meter, "
        "not behind consumption meter 'line1-elec'",
        f"{f}: meters[10].node: 'assembly/line2' is not at or under 'assembly/line1', "
        "the node of its parent meter 'line1-elec'",
    ]


def test_unknown_region_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "plant.toml"
    f.write_text(EXAMPLE.read_text().replace('grid_region = "east"', 'grid_region = "atlantis"'))
    assert any("site.grid_region" in p and "atlantis" in p for p in check(f))
    assert check(tmp_path / "missing.toml") == [f"{tmp_path / 'missing.toml'}: file not found"]


def test_cli_refuses_bad_plant_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "plant.toml"
    f.write_text(BAD)
    assert cli.main(["--plant", str(f), "--data-dir", str(tmp_path / "d"), "--http-port", "-1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "site.timezone" in err


def test_combustion_factors_are_computed_from_parameters() -> None:
    lib = load_library("Asia/Shanghai")
    gas = lib.select(("natural_gas", "combustion", "default"), ms("2024-03-01T00:00:00Z"))
    assert gas.computed == pytest.approx(0.038931 * 15.3 * 0.99 * 44 / 12)
    assert gas.computed == pytest.approx(2.162, abs=1e-3)
    diesel = lib.select(("diesel", "combustion", "default"), 0)
    assert diesel.computed / 1000 == pytest.approx(3.096, abs=1e-3)
    assert diesel.parameters["ncv_gj_per_unit"] == 42.652


def test_grid_factor_follows_the_year_and_footprint_stays_apart() -> None:
    lib = load_library("Asia/Shanghai")
    nat = ("electricity", "location", "national")
    assert lib.select(nat, ms("2022-06-01T00:00:00Z")).computed == 0.5366
    assert lib.select(nat, ms("2024-06-01T00:00:00Z")).computed == 0.5306
    # 2023-01-01 00:30 local is still 2022 in UTC: validity follows the site's calendar.
    assert lib.select(nat, ms("2022-12-31T16:30:00Z")).tag == "cn-grid-national-2023@2023"
    kinds = {(f.id, f.kind) for f in lib.views()}
    assert ("cn-electricity-footprint-2023", "footprint") in kinds
    assert ("cn-grid-fossil-2023", "fossil_only") in kinds
    assert (
        lib.select(("electricity", "residual_mix", "national"), ms("2024-01-01T00:00:00Z")).computed == 0.6096
    )


def test_site_override_replaces_and_adds(tmp_path: Path) -> None:
    f = tmp_path / "site_factors.toml"
    f.write_text(
        "[[factor]]\nid = 'cn-grid-east-2024'\ncarrier = 'electricity'\nkind = 'location'\n"
        "variant = 'east'\nvalue = 0.5\nunit = 'kgCO2/kWh'\nsource = 'test'\npublication = '2026'\n"
        "valid_from = 2024-01-01\nversion = '2024'\n"
        "hourly = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,"
        " 0.4, 0.4, 0.4, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]\n"
    )
    lib = load_library("Asia/Shanghai", f, "east")
    east = ("electricity", "location", "east")
    assert lib.select(east, ms("2023-06-01T00:00:00Z")).computed == 0.55
    e24 = lib.select(east, ms("2024-06-01T04:30:00Z"))  # 12:30 local
    assert lib.value(e24, ms("2024-06-01T04:30:00Z")) == 0.4
    assert lib.value(e24, ms("2024-06-01T10:30:00Z")) == 0.5


def test_bad_factor_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(
        "[[factor]]\nid = 'x'\ncarrier = 'natural_gas'\nkind = 'combustion'\nunit = 'u'\n"
        "source = 's'\npublication = 'p'\nvalid_from = 2024-01-01\nversion = '1'\n"
    )
    with pytest.raises(ConfigError) as err:
        load_library("UTC", f)
    assert "needs parameters" in str(err.value) and str(f) in str(err.value)


def test_rated_kw_is_for_energy_meters(tmp_path: Path) -> None:
    text = (Path(__file__).parent / "golden" / "production_reset" / "plant.toml").read_text()
    bad = tmp_path / "plant.toml"
    bad.write_text(text.replace('role = "production"', 'role = "production"\nrated_kw = 10', 1))
    problems = check(bad)
    assert any("rated_kw applies to energy meters" in p for p in problems), problems
