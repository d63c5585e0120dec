"""``zcf report --plant FILE --period 2026-11``: the disclosure report of a period, from the store.

The period's raw telemetry is read from the store and replayed through the engine's code; the
live engine's stored results are read back beside it (the report's ``recompute`` section).
Store: ``--store`` > ``ZCF_STORE_URL`` > the embedded SQLite file ``DATA_DIR/zcf.db`` (as the
engine and ingest). ``--format json`` (default, to stdout), ``html`` (printable, ``--lang``),
``csv`` (a folder of tables and report.json: ``--out DIR``, default ``report-SITE-PERIOD``;
``--out FILE.zip`` for a zip). ``zcf report --verify report.json`` checks a report's schema
and digest.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from carbon_engine.accounts.periods import PeriodError
from carbon_engine.accounts.render.canonical import content_digest
from carbon_engine.accounts.render.csv_out import csv_zip, write_csv_dir
from carbon_engine.accounts.render.html import render_html
from carbon_engine.accounts.render.labels import LANGS, Lang
from carbon_engine.accounts.render.schema import schema_errors
from iiot_core import logs
from iiot_core.errors import ConfigError, StoreError
from iiot_core.runner import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, print_problems
from iiot_core.settings import CoreEnv, from_env

DB_FILE = "zcf.db"  # the embedded store's file under the data dir, as `zcf engine` and `zcf ingest`
FORMATS = ("json", "csv", "html")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zcf report", description=__doc__.splitlines()[0])
    p.add_argument("--plant", type=Path, help="plant model file (TOML)")
    p.add_argument(
        "--period",
        help="2026-11 (month), 2026-Q4, 2026 (year), or month / quarter / year: the running one, to date",
    )
    p.add_argument(
        "--store", metavar="URL", help="store URL (env ZCF_STORE_URL; default sqlite DATA_DIR/zcf.db)"
    )
    p.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="where the embedded store is (default ./data)"
    )
    p.add_argument(
        "--as-of", help="report to this time (ISO 8601; default now): recompute a report as issued"
    )
    p.add_argument("--format", choices=FORMATS, default="json", help="json (default), csv or html")
    p.add_argument("--lang", choices=LANGS, default="en", help="language of the HTML page (en, zh)")
    p.add_argument("--out", type=Path, help="output file (csv: a folder, or FILE.zip); default stdout")
    p.add_argument(
        "--verify",
        type=Path,
        metavar="REPORT",
        help="check a report.json against the schema and its digest, and exit",
    )
    p.add_argument(
        "--log-level",
        help="WARNING by default: the replay logs what the live engine logged (e.g. readings dropped by "
        "max_rate) once more (env ZCF_LOG_LEVEL)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 written, 2 for a refused file, option or period, 1 when the store fails."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        logs.setup(args.log_level or from_env(CoreEnv).log_level or "WARNING")
        if args.verify is not None:
            return verify_file(args.verify)
        if args.plant is None or args.period is None:
            raise ConfigError(["zcf report: --plant FILE and --period KEY are required (or --verify REPORT)"])
        report = asyncio.run(_build(args, _store(args)))
    except ConfigError as exc:
        return print_problems(exc)
    except PeriodError as exc:
        print(f"zcf report: --period: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except StoreError as exc:
        print(f"zcf report: the store failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    write(report, args.format, args.lang, args.out)
    _summary(report, args.out)
    return EXIT_OK


def store_url(option: str | None, data_dir: Path) -> str:
    """``--store`` > ``ZCF_STORE_URL`` > ``sqlite:///DATA_DIR/zcf.db``."""
    given = from_env(CoreEnv, {"store_url": "--store"}, store_url=option).store_url
    return given or f"sqlite:///{(data_dir / DB_FILE).resolve()}"


def _as_of(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            [f"--as-of: {text!r} is not an ISO 8601 time (e.g. 2026-11-30T12:00+08:00)"]
        ) from exc
    return int((t if t.tzinfo else t.replace(tzinfo=dt.UTC)).timestamp() * 1000)


def _store(args: argparse.Namespace) -> str:
    """The store URL, after checking that the plant file (and an embedded store's file) exist."""
    if not args.plant.is_file():
        raise ConfigError([f"{args.plant}: no such plant file (--plant)"])
    url = store_url(args.store, args.data_dir)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///").split("?")[0]).is_file():
        raise ConfigError(
            [f"--store: {url}: no such store file (run the demo or ingest first, or give --store)"]
        )
    return url


async def _build(args: argparse.Namespace, url: str) -> dict[str, Any]:
    from carbon_engine.accounts.report import build_report
    from iiot_core.store.registry import open_reader

    reader = open_reader(url)
    try:
        await reader.check()
        return await build_report(
            args.plant, reader, args.period, as_of_ms=_as_of(args.as_of), source=reader.description
        )
    finally:
        await reader.close()


def write(report: dict[str, Any], fmt: str, lang: str, out: Path | None) -> None:
    """The report in ``fmt`` to ``out`` (stdout when None; csv: a folder or a .zip)."""
    if fmt == "csv":
        if out is not None and out.suffix == ".zip":
            out.write_bytes(csv_zip(report))
        else:
            write_csv_dir(report, out or Path(f"report-{report['report']['id']}"))
        return
    page_lang: Lang = "zh" if lang == "zh" else "en"
    text = (
        render_html(report, page_lang)
        if fmt == "html"
        else json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    )
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def _summary(report: dict[str, Any], out: Path | None) -> None:
    """A few lines on stderr: what the report holds and where it went."""
    h, e, em = report["report"], report["energy"], report["emissions"]
    rc = report.get("recompute") or {}
    lines = [
        f"report {h['id']}: {h['period']['start']} to {h['as_of']} ({len(report['nodes'])} nodes)",
        f"energy {_n(e['total_kwh'])} kWh, {_n(e['total_tce'], 3)} tce; "
        f"gross {_n(_t(em['gross_location_kg']), 3)} tCO2 (location), "
        f"{_n(_t(em['gross_market_kg']), 3)} tCO2 (market)",
        f"recompute: live {rc.get('live_hours')} h, recomputed {rc.get('recomputed_hours')} h, "
        f"max difference {rc.get('max_abs_diff')}, equal={rc.get('equal')}",
        f"missing: {', '.join(m['key'] for m in report['missing']) or 'nothing'}",
        f"digest sha256 {report['digest']['value']}" + (f" -> {out}" if out else ""),
    ]
    print("\n".join(lines), file=sys.stderr)


def _t(kg: float | None) -> float | None:
    return None if kg is None else kg / 1000.0


def _n(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def verify_file(path: Path) -> int:
    """Validate a report file against the schema and recompute its digest; 0 when both hold."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        stored = report["digest"]["value"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError([f"{path}: not a report with a digest: {exc}"]) from exc
    actual = content_digest(report)
    problems = [f"{path}: {e}" for e in schema_errors(report)]
    if actual != stored:
        problems.append(f"{path}: digest MISMATCH: stored {stored}, content {actual}")
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return EXIT_FAILED
    print(f"{path}: schema ok, digest ok sha256 {actual}")
    return EXIT_OK
