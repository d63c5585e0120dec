"""The report dict: its schema, its digest (recomputed independently), CSV tables, HTML."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import zipfile
from typing import Any

import jcs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbon_engine.accounts.render.canonical import canonical, content_digest, seal, verify
from carbon_engine.accounts.render.csv_out import csv_files, csv_zip
from carbon_engine.accounts.render.html import render_html
from carbon_engine.accounts.render.schema import schema_errors
from carbon_engine.accounts.render.tables import all_tables, resolve
from tests.carbon_engine.accounts import report_fixture


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return report_fixture.build()


def test_the_report_validates_against_its_schema(report: dict[str, Any]) -> None:
    assert schema_errors(report) == []


def test_the_schema_refuses_a_report_missing_a_section(report: dict[str, Any]) -> None:
    broken = {k: v for k, v in report.items() if k != "emissions"}
    broken["energy"] = {**report["energy"], "total_tce": "12"}
    errors = schema_errors(broken)
    assert any("emissions" in e for e in errors)
    assert any(e.startswith("/energy/total_tce") for e in errors)


def test_the_digest_is_recomputed_from_the_file_by_an_independent_jcs(report: dict[str, Any]) -> None:
    # What a verifier does: read report.json, drop "digest", canonicalise (RFC 8785), SHA-256.
    on_disk = json.loads(json.dumps(report, ensure_ascii=False, indent=2))
    stored = on_disk.pop("digest")
    assert stored["algorithm"] == "sha256"
    assert hashlib.sha256(jcs.canonicalize(on_disk)).hexdigest() == stored["value"]
    assert verify(report)


def test_a_changed_figure_breaks_the_digest(report: dict[str, Any]) -> None:
    tampered = copy.deepcopy(report)
    tampered["emissions"]["rows"][0]["kg"] += 0.001
    assert not verify(tampered)
    assert verify(seal(tampered))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_equals_rfc8785_reference(value: Any) -> None:
    assert canonical(value) == jcs.canonicalize(value)


def test_the_digest_ignores_only_the_digest_member(report: dict[str, Any]) -> None:
    other = {**report, "digest": {"algorithm": "sha256", "value": "0" * 64, "covers": "x"}}
    assert content_digest(other) == report["digest"]["value"]


def test_csv_tables_hold_the_json_figures(report: dict[str, Any]) -> None:
    files = csv_files(report)
    assert {
        "energy.csv",
        "emissions.csv",
        "indicators.csv",
        "offsets.csv",
        "data_quality.csv",
        "nodes.csv",
    } <= set(files)
    for table in all_tables(report):
        rows = list(csv.reader(io.StringIO(files[f"{table.name}.csv"])))
        assert len(rows) == 1 + len(table.rows)
        for row, cells in zip(rows[1:], table.rows, strict=True):
            for text, cell in zip(row, cells, strict=True):
                if cell.ptr is not None and isinstance(cell.value, float):
                    assert float(text) == resolve(report, cell.ptr)
    emissions = list(csv.DictReader(io.StringIO(files["emissions.csv"])))
    assert [r["id"] for r in emissions] == [
        "scope1",
        "scope2_location",
        "scope2_market",
        "scope2_market_estimate",
    ]
    assert float(emissions[0]["kg [kgCO2]"]) == report["emissions"]["rows"][0]["kg"]
    with zipfile.ZipFile(io.BytesIO(csv_zip(report))) as z:
        inside = json.loads(z.read(f"{report['report']['id']}/report.json"))
    assert verify(inside)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_names_every_number_it_prints(report: dict[str, Any], lang: str) -> None:
    page = render_html(report, lang)  # type: ignore[arg-type]
    assert report["digest"]["value"] in page
    assert "<script" not in page and "http://" not in page and "https://" not in page  # no external assets
    assert ("碳排放与能源信息披露报告" in page) == (lang == "zh")
    for table in all_tables(report):
        for cells in table.rows:
            for cell in cells:
                if cell.ptr is not None and isinstance(cell.value, float):
                    assert f'data-ptr="{cell.ptr}" data-value="{cell.value!r}"' in page
