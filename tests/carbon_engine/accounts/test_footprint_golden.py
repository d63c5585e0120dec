"""Golden case of the product footprint: a line with three carriers and two suppliers (README)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from carbon_engine.accounts.footprint import product_footprints
from carbon_engine.accounts.suppliers import load_suppliers
from carbon_engine.config import load_plant
from carbon_engine.factors import load_library

CASE = Path(__file__).parent / "golden" / "footprint_two_suppliers"


def _approx(value: object) -> object:
    return pytest.approx(value, rel=1e-9, abs=1e-12) if isinstance(value, float) else value


def test_footprint_with_two_suppliers() -> None:
    plant = load_plant(CASE / "plant.toml")
    library = load_library(plant.site.timezone, None, plant.site.grid_region)
    suppliers = load_suppliers(plant.accounts, CASE / "plant.toml")
    totals = json.loads((CASE / "totals.json").read_text(encoding="utf-8"))
    expected = json.loads((CASE / "expected.json").read_text(encoding="utf-8"))
    at_ms = int(dt.datetime.fromisoformat(expected["at"]).timestamp() * 1000)
    found = product_footprints(plant, totals, library, suppliers, at_ms)
    assert len(found) == len(expected["footprints"])
    for got, want in zip(found, expected["footprints"], strict=True):
        for key, value in want.items():
            if key != "parts":
                assert getattr(got, key) == _approx(value), key
        assert len(got.parts) == len(want["parts"])
        for part, want_part in zip(got.parts, want["parts"], strict=True):
            fields = dataclasses.asdict(part)
            for key, value in want_part.items():
                assert fields[key] == _approx(value), f"{part.item}: {key}"
        assert got.kg_per_unit == pytest.approx(sum(p.kg_per_unit for p in got.parts))
