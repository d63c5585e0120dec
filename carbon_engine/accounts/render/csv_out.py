"""The report's tables as CSV (RFC 4180, UTF-8): one file per table, or a zip of them.

Headers are the JSON member names, with the unit in brackets where the column has one
(``kg [kgCO2]``); numbers are written in full (shortest round-trip), an absent value is empty.
The zip and the folder also hold ``report.json``, whose digest covers every figure.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from carbon_engine.accounts.render.tables import Table, all_tables


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def table_csv(table: Table) -> str:
    """One table as CSV text with a header row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f"{c.key} [{c.unit}]" if c.unit else c.key for c in table.columns])
    for row in table.rows:
        w.writerow([_text(cell.value) for cell in row])
    return buf.getvalue()


def csv_files(report: dict[str, Any]) -> dict[str, str]:
    """File name -> content: ``{table}.csv`` for every table, and ``report.json``."""
    files = {f"{t.name}.csv": table_csv(t) for t in all_tables(report)}
    files["report.json"] = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    return files


def write_csv_dir(report: dict[str, Any], folder: Path) -> list[Path]:
    """Write every table (and report.json) into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in csv_files(report).items():
        path = folder / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


def csv_zip(report: dict[str, Any]) -> bytes:
    """Every table (and report.json) in one zip archive, under ``{report id}/``."""
    buf = io.BytesIO()
    root = report["report"]["id"]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in csv_files(report).items():
            z.writestr(f"{root}/{name}", text)
    return buf.getvalue()
