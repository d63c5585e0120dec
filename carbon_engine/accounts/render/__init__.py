"""Renderings of a disclosure report dict: canonical JSON and its digest, the JSON Schema,
CSV tables and the printable HTML page (zh and en).

| module | holds |
| --- | --- |
| `canonical.py` | RFC 8785 (JCS) canonical JSON and the report's SHA-256 digest |
| `schema.py`, `report.schema.json` | the report's JSON Schema (package data) and its validator |
| `tables.py` | the report's tables (energy, emissions, indicators, offsets, data quality, nodes) |
| `csv_out.py` | the tables as CSV files (or a zip of them) |
| `labels.py` | zh and en labels of the report's rows and headings |
| `html.py`, `report.css` | the printable HTML page (no external assets, print CSS) |
"""
