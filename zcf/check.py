"""``zcf check CONFIG...``: validate config files of any role and print every fault.

Each file is checked by its role's checker; given edge configs and a plant file together,
the plant's meters are then checked against the edge devices (``zcf.crosscheck``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from iiot_core.config_loader import read_toml
from iiot_core.errors import ConfigError
from iiot_core.masking import mask

# Which role's checker a file belongs to, told by its top-level tables, and the extra it needs.
CHECKERS: dict[str, tuple[str, str]] = {
    "devices": ("edge_agent.config", "edge"),
    "site": ("carbon_engine.config", "engine"),
    "supplier": ("carbon_engine.accounts.suppliers", "engine"),
}


def role_of(path: Path) -> str | None:
    """The top-level table that tells the file's role (``devices``, ``site``), None if unreadable."""
    try:
        data = read_toml(path)
    except ConfigError:
        return None
    return next((key for key in CHECKERS if key in data), None)


def check_file(path: Path) -> list[str]:
    """Return error lines for ``path`` (empty when it is valid)."""
    try:
        data = read_toml(path)
    except ConfigError as exc:
        return exc.problems
    for key, (module, extra) in CHECKERS.items():
        if key in data:
            try:
                checker = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                # A gateway with `zcf[edge]` only has no checker for the engine's plant file.
                return [f"{path}: [{key}]: checking this file needs `pip install 'zcf[{extra}]'` ({exc})"]
            problems: list[str] = checker.check(path)
            return problems
    kinds = ", ".join(f"[{k}]" for k in CHECKERS if k != "supplier")
    return [f"{path}: (top level): not a known config: expected {kinds} or supplier = ID"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="zcf check", description=__doc__)
    parser.add_argument("configs", nargs="+", type=Path, help="TOML config files")
    args = parser.parse_args(argv)
    failed, valid = False, []
    for path in args.configs:
        problems = check_file(path)
        for line in problems:
            print(mask(line), file=sys.stderr)
        if problems:
            failed = True
        else:
            valid.append(path)
            print(f"{path}: OK")
    across = cross_check_files(args.configs, valid)
    for line in across or []:
        print(mask(line), file=sys.stderr)
    if across is not None and not across:
        print("plant meters match the edge devices: OK")
    return 2 if failed or across else 0


def cross_check_files(paths: list[Path], valid: list[Path]) -> list[str] | None:
    """Plant files against the edge configs given with them; None unless both kinds are given."""
    roles = {p: role_of(p) for p in paths}
    edges = [p for p in paths if roles[p] == "devices"]
    plants = [p for p in paths if roles[p] == "site"]
    if not edges or not plants:
        return None
    if set(edges + plants) - set(valid):
        return ["edge configs and plant files not cross-checked: fix the faults above first"]
    try:
        from carbon_engine.config import load_plant
        from edge_agent.config import load
        from zcf.crosscheck import cross_check
    except ModuleNotFoundError as exc:
        return [f"cross-checking edge and plant files needs `pip install 'zcf[edge,engine]'` ({exc})"]
    loaded = [(p, load(p)) for p in edges]
    return [line for p in plants for line in cross_check(loaded, p, load_plant(p))]
