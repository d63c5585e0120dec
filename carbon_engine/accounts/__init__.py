"""Period accounts of a site: what a zero-carbon factory is assessed on.

The live engine answers "what does the plant emit now"; this package answers "what did it
emit in November, against which targets, with which certificates and offsets", from data a
verifier can recompute. Module map:

| module | holds |
| --- | --- |
| `config.py` | the plant file's `[accounts]` section: base year, targets, quotas, offsets rule, footprints |
| `periods.py` | reporting periods (month, quarter, year, to date) in the site's time zone |
| `ledger.py` | the hourly ledger of a period: stored telemetry replayed through `EngineCore` |
| `totals.py` | a period's additive totals per node, from the hourly ledger |
| `instruments.py` | certificates, green-power trades and PPAs matched within the period; hourly matching |
| `hours.py` | the site's hourly figures (grid, self-consumed, residual-mix kg, heat) from 1h results |
| `energy_tce.py` | standard coal equivalent per carrier (factor library kind `tce`) |
| `indicators.py` | the indicators against targets and quotas |
| `targets.py`, `target_sets.toml` | target sets: inline, shipped (Hunan 2027/2030/2035) or from a file |
| `offsets.py` | the offsets ledger and the reduce-first rule |
| `offsets_cli.py` | `zcf offsets --plant FILE add FILE.json` and `list`: the offsets ledger by hand |
| `suppliers.py` | supplier footprint files: one per supplier, a factor per material with validity |
| `footprint.py` | product carbon footprint, cradle to gate |
| `quality.py` | data quality of a period: coverage, estimated share, gaps, offline time |
| `report.py`, `render/` | the disclosure report: JSON (schema), CSV tables, printable HTML |
| `report_parts.py` | the report's header, recompute comparison, what is missing, assembly and seal |
| `report_sections.py` | the report's sections from period figures (nodes, energy, emissions, factors) |
| `report_cli.py` | `zcf report --plant FILE --period KEY` |
"""
