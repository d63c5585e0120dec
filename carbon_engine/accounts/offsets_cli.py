"""``zcf offsets --plant FILE add OFFSETS.json | list [--period P]``: the offsets ledger by hand.

``add`` reads one offset (a JSON object with the fields of ``POST /api/v1/offsets``) or a list
of them; every one is checked, and none is recorded when one is invalid or its serial is in
the ledger already. The ledger is ``[accounts.offsets] file`` of the plant file.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from carbon_engine.accounts.offsets import (
    PERIOD_KEY,
    Offset,
    OffsetError,
    OffsetLedger,
    ledger_for,
    serial_key,
)
from carbon_engine.config import load_plant
from iiot_core.config_errors import format_validation
from iiot_core.errors import ConfigError
from iiot_core.runner import EXIT_FAILED, EXIT_OK, print_problems

_OFFSETS = TypeAdapter(list[Offset])


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zcf offsets", description=__doc__.splitlines()[0])
    p.add_argument("--plant", type=Path, required=True, help="plant model file (TOML)")
    sub = p.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="record the offsets of a JSON file (one object or a list)")
    add.add_argument("file", type=Path)
    add.add_argument("--by", default=f"cli:{getpass.getuser()}", help="who records (default cli:USER)")
    listing = sub.add_parser("list", help="the recorded offsets, as a table")
    listing.add_argument("--period", help="2026, 2026-Q4 or 2026-11: retired against it or within it")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; 2 for a refused plant file or input file, 1 for a duplicate or unreadable ledger."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        plant = load_plant(args.plant)
        ledger = ledger_for(plant.accounts.offsets, args.plant)
        if ledger is None:
            raise ConfigError([f"{args.plant}: accounts.offsets.file: not set: no offsets ledger"])
        if args.action == "add":
            return _add(ledger, read_offsets(args.file), args.by)
        return _list(ledger, args.period)
    except ConfigError as exc:
        return print_problems(exc)
    except OffsetError as exc:
        print(f"zcf offsets: {exc}", file=sys.stderr)
        return EXIT_FAILED


def read_offsets(path: Path) -> list[Offset]:
    """The offsets of a JSON file; ConfigError naming the file and each bad field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError([f"{path}: not a readable JSON file: {exc}"]) from exc
    items = data if isinstance(data, list) else [data]
    try:
        offsets = _OFFSETS.validate_python(items)
    except ValidationError as exc:
        raise ConfigError(format_validation(str(path), exc, items)) from exc
    keys = [serial_key(o.serial) for o in offsets]
    twice = sorted({o.serial for o, k in zip(offsets, keys, strict=True) if keys.count(k) > 1})
    if twice:
        raise ConfigError([f"{path}: serial {s!r} appears more than once in the file" for s in twice])
    return offsets


def _add(ledger: OffsetLedger, offsets: list[Offset], by: str) -> int:
    for o in offsets:  # all or none (unless another writer records the same serial meanwhile)
        ledger.refuse_known(o.serial)
    for o in offsets:
        record = ledger.add(o, by=by)
        print(f"recorded {record.serial} {record.tco2e:g} tCO2e against {record.period} in {ledger.path}")
    return EXIT_OK


def _list(ledger: OffsetLedger, period: str | None) -> int:
    if period is not None and not _is_period(period):
        raise ConfigError([f"--period: {period!r} is not a year, quarter or month (2026, 2026-Q4, 2026-11)"])
    records = ledger.load() if period is None else ledger.for_period(period)
    if not records:
        print(f"no offsets in {ledger.path}" + (f" for {period}" if period else ""), file=sys.stderr)
    for r in records:
        row = (r.period, r.serial, r.kind, r.registry, str(r.vintage), f"{r.tco2e:g}", str(r.retired_on))
        print("\t".join(row))
    total = sum(r.tco2e for r in records)
    print(f"{len(records)} offsets, {total:g} tCO2e", file=sys.stderr)
    return EXIT_OK


def _is_period(key: str) -> bool:
    return re.fullmatch(PERIOD_KEY, key) is not None
