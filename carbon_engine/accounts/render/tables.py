"""The report's tables, shared by the CSV files and the HTML page.

Each cell keeps the raw JSON value and its JSON Pointer (RFC 6901) into the report, so the
HTML can say where every number it prints comes from (``data-ptr``) and a test can check it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "num", "share", "bool", "time", "int"]
TABLES = (
    "energy",
    "emissions",
    "instruments",
    "indicators",
    "offsets",
    "footprints",
    "data_quality",
    "nodes",
)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    kind: Kind = "text"
    unit: str = ""  # "" when the row says its unit, or none applies
    digits: int = 2


@dataclass(frozen=True, slots=True)
class Cell:
    value: Any
    ptr: str | None  # JSON Pointer into the report; None for derived text (a count, a list)


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    rows: list[list[Cell]]


def escape(key: str) -> str:
    """A member name as a JSON Pointer token."""
    return key.replace("~", "~0").replace("/", "~1")


def _cells(base: str, item: dict[str, Any], columns: tuple[Column, ...]) -> list[Cell]:
    return [Cell(item.get(c.key), f"{base}/{escape(c.key)}") for c in columns]


def _list_table(name: str, base: str, items: list[dict[str, Any]], columns: tuple[Column, ...]) -> Table:
    return Table(name, columns, [_cells(f"{base}/{i}", it, columns) for i, it in enumerate(items)])


def energy(r: dict[str, Any]) -> Table:
    cols: tuple[Column, ...] = (
        Column("carrier"),
        Column("quantity", "num", "", 2),
        Column("unit"),
        Column("kgce", "num", "kgce", 1),
    )
    cols += (Column("coefficient"),)
    return _list_table("energy", "/energy/carriers", r["energy"]["carriers"], cols)


def emissions(r: dict[str, Any]) -> Table:
    cols: tuple[Column, ...] = (Column("id"), Column("scope"), Column("method"), Column("basis"))
    cols += (Column("kg", "num", "kgCO2", 1), Column("t", "num", "tCO2", 3))
    return _list_table("emissions", "/emissions/rows", r["emissions"]["rows"], cols)


def instruments(r: dict[str, Any]) -> Table:
    cols: tuple[Column, ...] = (Column("id"), Column("kind"), Column("applied_kwh", "num", "kWh", 1))
    inst = r.get("instruments") or {}
    return _list_table("instruments", "/instruments/contracts", inst.get("contracts", []), cols)


def indicators(r: dict[str, Any]) -> Table:
    cols: tuple[Column, ...] = (
        Column("id"),
        Column("label_en"),
        Column("label_zh"),
        Column("value", "num", "", 4),
        Column("unit"),
    )
    cols += (Column("target", "num", "", 4),)
    cols += (Column("comparison"), Column("passed", "bool"), Column("missing"), Column("formula"))
    return _list_table("indicators", "/indicators", r["indicators"], cols)


def offsets(r: dict[str, Any]) -> Table:
    cols: tuple[Column, ...] = (
        Column("serial"),
        Column("registry"),
        Column("kind"),
        Column("vintage", "int"),
    )
    cols += (Column("tco2e", "num", "tCO2e", 3), Column("retired_on"), Column("period"), Column("evidence"))
    entries = (r.get("offsets") or {}).get("entries", [])
    return _list_table("offsets", "/offsets/entries", entries, cols)


def footprints(r: dict[str, Any]) -> Table:
    cols: tuple[Column, ...] = (
        Column("node"),
        Column("product"),
        Column("units", "num", "units", 0),
        Column("kg_per_unit", "num", "kgCO2e/unit", 4),
        Column("base_kg_per_unit", "num", "kgCO2e/unit", 4),
        Column("reduction_share", "share"),
    )
    return _list_table("footprints", "/footprints", r["footprints"], cols)


def data_quality(r: dict[str, Any]) -> Table:
    cols: tuple[Column, ...] = (Column("meter"), Column("device"), Column("good_share", "share"))
    cols += (Column("estimated_share", "share"), Column("offline_s", "num", "s", 0))
    gap_cols = (Column("gaps", "int"), Column("gap_list"))
    rows = []
    for i, m in enumerate(r["data_quality"]["meters"]):
        base = f"/data_quality/meters/{i}"
        gaps = m.get("gaps", [])
        listed = "; ".join(f"{g['start_ms']}-{g['end_ms']}" for g in gaps)
        rows.append([*_cells(base, m, cols), Cell(len(gaps), None), Cell(listed, None)])
    return Table("data_quality", cols + gap_cols, rows)


def nodes(r: dict[str, Any]) -> Table:
    points: list[str] = []
    for n in r["nodes"]:
        points += [p for p in n["totals"] if p not in points]
    cols: tuple[Column, ...] = (Column("path"), Column("level"))
    cols += tuple(Column(p, "num", "", 3) for p in points)
    rows = []
    for i, n in enumerate(r["nodes"]):
        base = f"/nodes/{i}"
        head = [Cell(n["path"], f"{base}/path"), Cell(n["level"], f"{base}/level")]
        rows.append(head + [Cell(n["totals"].get(p), f"{base}/totals/{escape(p)}") for p in points])
    return Table("nodes", cols, rows)


BUILDERS: dict[str, Callable[[dict[str, Any]], Table]] = {
    "energy": energy,
    "emissions": emissions,
    "instruments": instruments,
    "indicators": indicators,
    "offsets": offsets,
    "footprints": footprints,
    "data_quality": data_quality,
    "nodes": nodes,
}


def all_tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the report, in ``TABLES`` order."""
    return [BUILDERS[name](report) for name in TABLES]


def resolve(report: dict[str, Any], ptr: str) -> Any:
    """The value at a JSON Pointer (RFC 6901) in ``report``."""
    node: Any = report
    for raw in ptr.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node
