"""``zcf check CONFIG``: validate a config file of any role and print every fault."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from iiot_core.config_loader import read_toml
from iiot_core.errors import ConfigError

# Which role's checker a file belongs to, told by its top-level tables, and the extra it needs.
CHECKERS: dict[str, tuple[str, str]] = {
    "devices": ("edge_agent.config", "edge"),
    "site": ("carbon_engine.config", "engine"),
    "supplier": ("carbon_engine.accounts.suppliers", "engine"),
}


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
    failed = False
    for path in args.configs:
        problems = check_file(path)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            failed = True
        else:
            print(f"{path}: OK")
    return 2 if failed else 0
