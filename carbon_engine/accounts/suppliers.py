"""Supplier footprint files: one TOML file per supplier, with a footprint factor per material.

```toml
schema = 1
supplier = "acme-steel"            # the id a plant file's [[accounts.footprints.materials]] names
name = "ACME Steel Co."
[[materials]]
material = "cold-rolled-coil"
kg_co2e_per_kg = 2.10              # cradle to the supplier's gate, per kg delivered
source = "EPD S-P-01234, verified 2026-02 by ..."
valid_from = 2026-01-01
valid_to = 2026-12-31              # optional: open-ended without it
```

A material may have several entries of non-overlapping validity (a new EPD each year).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from carbon_engine.accounts.config import AccountsCfg
from iiot_core.config_loader import read_toml, validate
from iiot_core.errors import ConfigError

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class MaterialFactor(BaseModel):
    """One material's footprint factor as the supplier states it, with its validity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material: str = Field(min_length=1, max_length=200)
    kg_co2e_per_kg: float = Field(ge=0, le=1e6)
    source: str = Field(min_length=1)  # EPD number, PCF report, verifier
    valid_from: dt.date
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _order(self) -> MaterialFactor:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class SupplierFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_version: int = Field(default=1, alias="schema", ge=1, le=1)
    supplier: str = Field(pattern=_ID, max_length=100)
    name: str = Field(min_length=1)
    materials: list[MaterialFactor] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Supplier:
    """A supplier file, read and checked."""

    id: str
    name: str
    path: Path
    materials: list[MaterialFactor]

    def entries(self, material: str) -> list[MaterialFactor]:
        return sorted((m for m in self.materials if m.material == material), key=lambda m: m.valid_from)


def read_supplier(path: Path) -> Supplier:
    """One supplier file; ConfigError naming the file and each bad key."""
    data = validate(SupplierFile, read_toml(path), str(path))
    problems = _overlaps(path, data.materials)
    if problems:
        raise ConfigError(problems)
    return Supplier(data.supplier, data.name, path, list(data.materials))


def check(path: str | Path) -> list[str]:
    """Every fault of one supplier file (``zcf check``), one line each; empty when valid."""
    try:
        read_supplier(Path(path))
    except ConfigError as exc:
        return list(exc.problems)
    return []


def _overlaps(path: Path, materials: list[MaterialFactor]) -> list[str]:
    problems = []
    for i, a in enumerate(materials):
        for j in range(i + 1, len(materials)):
            b = materials[j]
            if a.material == b.material and _overlap(a, b):
                problems.append(
                    f"{path}: materials[{j}]: {b.material!r} valid {_span(b)} overlaps materials[{i}] "
                    f"valid {_span(a)}: one factor per material and day"
                )
    return problems


def _overlap(a: MaterialFactor, b: MaterialFactor) -> bool:
    a_end, b_end = a.valid_to or dt.date.max, b.valid_to or dt.date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def _span(m: MaterialFactor) -> str:
    return f"{m.valid_from}..{m.valid_to or 'open'}"


def load_suppliers(accounts: AccountsCfg, plant_path: str | Path) -> dict[str, Supplier]:
    """The plant's supplier files (paths relative to the plant file), checked against its footprints.

    ConfigError lists every fault: a bad file, a supplier id used by two files, a footprint
    material no supplier file has.
    """
    base = Path(plant_path).parent
    found: dict[str, Supplier] = {}
    problems: list[str] = []
    for i, rel in enumerate(accounts.suppliers):
        if not (base / rel).is_file():
            problems.append(f"{plant_path}: accounts.suppliers[{i}]: {base / rel}: file not found")
            continue
        try:
            supplier = read_supplier(base / rel)
        except ConfigError as exc:
            problems += exc.problems
            continue
        if supplier.id in found:
            first = found[supplier.id].path
            problems.append(f"{supplier.path}: supplier: id {supplier.id!r} is also the id of {first}")
            continue
        found[supplier.id] = supplier
    if not problems:
        problems = _references(accounts, found, str(plant_path))
    if problems:
        raise ConfigError(problems)
    return found


def _references(accounts: AccountsCfg, suppliers: dict[str, Supplier], source: str) -> list[str]:
    problems = []
    for i, fp in enumerate(accounts.footprints):
        for j, m in enumerate(fp.materials):
            where = f"{source}: accounts.footprints[{i}].materials[{j}]"
            supplier = suppliers.get(m.supplier)
            if supplier is None:
                problems.append(
                    f"{where}.supplier: no supplier file has id {m.supplier!r} (known: {sorted(suppliers)})"
                )
            elif not supplier.entries(m.material):
                known = sorted({x.material for x in supplier.materials})
                problems.append(f"{where}.material: {supplier.path} has no {m.material!r} (it has {known})")
    return problems
