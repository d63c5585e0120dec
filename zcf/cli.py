"""The ``zcf`` console script: one subcommand per role, each loaded only when asked for.

The registry is an explicit table of module paths: each role imports only its own package
(and so needs only its own extra installed), and nothing starts at import time.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

ROLES: dict[str, tuple[str, str]] = {
    "sim": ("simulators.cli", "run the simulated plant (Modbus meters, PV inverter, OPC UA PLCs)"),
    "edge": ("edge_agent.cli", "run an edge agent: poll devices, publish telemetry over MQTT"),
    "ingest": ("ingest_service.cli", "store the MQTT telemetry in InfluxDB or the embedded store"),
    "engine": ("carbon_engine.cli", "compute live emissions, intensity and alerts; serve the API"),
    "demo": ("zcf.demo", "run the whole plant and product on embedded defaults"),
    "token": ("carbon_engine.api.token_cli", "create, list or revoke the operator API's bearer tokens"),
    "offsets": ("carbon_engine.accounts.offsets_cli", "record or list retired offsets (offsets ledger)"),
    "report": ("carbon_engine.accounts.report_cli", "the disclosure report of a period: JSON, CSV or HTML"),
    "check": ("zcf.check", "validate a config file and print every fault"),
}


def _usage() -> str:
    lines = ["usage: zcf COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in ROLES.items()]
    lines += ["", "zcf COMMAND --help shows the options of one command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``zcf`` script."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    role = ROLES.get(args[0])
    if role is None:
        print(f"zcf: unknown command {args[0]!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(role[0])
    entry: Callable[[list[str]], int] = module.main
    return entry(args[1:])


if __name__ == "__main__":
    sys.exit(main())
