"""Supplier files (checked, errors naming file and key) and the footprint's flags and gaps."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from carbon_engine.accounts.footprint import Footprint, product_footprints
from carbon_engine.accounts.suppliers import load_suppliers, read_supplier
from carbon_engine.config import PlantCfg, load_plant
from carbon_engine.factors import load_library
from iiot_core.errors import ConfigError

CASE = Path(__file__).parent / "golden" / "footprint_two_suppliers"
TOTALS = {"assembly/line1": {"electricity_kwh": 1000.0, "units": 100.0}}


@pytest.fixture
def case(tmp_path: Path) -> Path:
    shutil.copytree(CASE, tmp_path / "case")
    return tmp_path / "case"


def _ms(day: str) -> int:
    return int(dt.datetime.fromisoformat(f"{day}T12:00:00+08:00").timestamp() * 1000)


def _run(plant: PlantCfg, folder: Path, totals: dict[str, dict[str, float]], day: str) -> list[Footprint]:
    library = load_library(plant.site.timezone, None, plant.site.grid_region)
    return list(
        product_footprints(
            plant, totals, library, load_suppliers(plant.accounts, folder / "plant.toml"), _ms(day)
        )
    )


def test_an_expired_supplier_factor_is_used_and_flagged(case: Path) -> None:
    plant = load_plant(case / "plant.toml")
    (fp,) = _run(plant, case, TOTALS, "2027-02-01")
    steel = next(p for p in fp.parts if p.item == "cold-rolled-coil")
    assert steel.factor == 2.10  # the latest entry, expired 2026-12-31
    assert (
        len(fp.warnings) == 1
        and "expired 2026-12-31" in fp.warnings[0]
        and "acme-steel.toml" in fp.warnings[0]
    )
    (early,) = _run(plant, case, TOTALS, "2026-02-01")
    resin = next(p for p in early.parts if p.item == "pa66-gf30")
    assert resin.factor == 3.40 and "valid only from 2026-03-01" in early.warnings[0]


def test_no_production_gives_no_per_unit_value_and_says_why(case: Path) -> None:
    plant = load_plant(case / "plant.toml")
    (fp,) = _run(plant, case, {"assembly/line1": {"electricity_kwh": 50.0, "units": 0.0}}, "2026-11-30")
    assert fp.kg_per_unit is None and fp.reduction_share is None and not fp.complete
    assert "no production units" in fp.missing[0]
    (absent,) = _run(plant, case, {}, "2026-11-30")
    assert "not in the period's totals" in absent.missing[0]


def test_totals_keyed_by_full_path_and_a_carrier_without_a_footprint_factor(case: Path) -> None:
    plant = load_plant(case / "plant.toml")
    totals = {"plant1/assembly/line1": {"electricity_kwh": 1000.0, "diesel_t": 0.5, "units": 100.0}}
    (fp,) = _run(plant, case, totals, "2026-11-30")
    assert [p.item for p in fp.parts if p.kind == "energy"] == ["electricity"]
    assert fp.parts[0].kg_per_unit == pytest.approx(10.0 * 0.6205)
    assert not fp.complete and any("diesel: no footprint factor" in m for m in fp.missing)


def test_a_bad_supplier_file_names_file_and_key(case: Path) -> None:
    path = case / "suppliers" / "polymer.toml"
    path.write_text(path.read_text().replace("kg_co2e_per_kg = 3.40", "kg_co2e_per_kg = -1"))
    with pytest.raises(ConfigError) as err:
        read_supplier(path)
    assert str(path) in str(err.value) and "materials[0].kg_co2e_per_kg" in str(err.value)


def test_overlapping_validity_of_one_material_is_refused(case: Path) -> None:
    path = case / "suppliers" / "acme-steel.toml"
    path.write_text(path.read_text().replace("valid_to = 2025-12-31", "valid_to = 2026-01-31"))
    with pytest.raises(
        ConfigError, match=r"materials\[1\]: 'cold-rolled-coil' valid 2026-01-01..2026-12-31 overlaps"
    ):
        read_supplier(path)


def test_references_to_unknown_suppliers_materials_and_files_are_named(case: Path) -> None:
    text = (case / "plant.toml").read_text()
    (case / "plant.toml").write_text(text.replace('supplier = "polymer-co"', 'supplier = "polymer"'))
    with pytest.raises(
        ConfigError,
        match=r"accounts.footprints\[0\].materials\[1\].supplier: no supplier file has id 'polymer'",
    ):
        load_suppliers(load_plant(case / "plant.toml").accounts, case / "plant.toml")
    (case / "plant.toml").write_text(text.replace('"pa66-gf30"', '"pa6"'))
    with pytest.raises(ConfigError, match=r"materials\[1\].material: .*polymer.toml has no 'pa6'"):
        load_suppliers(load_plant(case / "plant.toml").accounts, case / "plant.toml")
    (case / "plant.toml").write_text(text.replace("suppliers/polymer.toml", "suppliers/missing.toml"))
    with pytest.raises(ConfigError, match=r"accounts.suppliers\[1\]: .*missing.toml: file not found"):
        load_suppliers(load_plant(case / "plant.toml").accounts, case / "plant.toml")


def test_two_files_with_one_supplier_id_are_refused(case: Path) -> None:
    path = case / "suppliers" / "polymer.toml"
    path.write_text(path.read_text().replace('supplier = "polymer-co"', 'supplier = "acme-steel"'))
    with pytest.raises(ConfigError, match="is also the id of"):
        load_suppliers(load_plant(case / "plant.toml").accounts, case / "plant.toml")


def test_the_example_plant_footprint_reads_its_supplier_file() -> None:
    from tests.support.engine_setup import PLANT_FILE

    plant = load_plant(PLANT_FILE)
    library = load_library(plant.site.timezone, None, plant.site.grid_region)
    suppliers = load_suppliers(plant.accounts, PLANT_FILE)
    (fp,) = product_footprints(plant, TOTALS, library, suppliers, _ms("2026-11-30"))
    assert [(p.item, p.supplier) for p in fp.parts if p.kind == "material"] == [
        ("steel-sheet", "example-steel"),
        ("fasteners", "example-steel"),
    ]
    assert fp.materials_kg_per_unit == pytest.approx(0.80 * 2.10 + 0.05 * 2.80)
    assert fp.warnings == [] and fp.missing == ["assembly/line1: base_kg_per_unit not configured"]
