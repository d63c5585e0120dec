"""``zcf sim``: run the simulated plant until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic_settings import BaseSettings, SettingsConfigDict

from iiot_core import runner
from iiot_core.settings import from_env
from simulators.faults import FaultSpec, check_fault, counter_event, parse_fault, run_faults
from simulators.opcua_server import OpcuaSecurity
from simulators.plant import Plant, PlantSpec, run_plant

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zcf sim",
        description="Run the simulated plant: Modbus meters, PV inverter and OPC UA PLCs.",
    )
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    p.add_argument("--seed", type=int, default=1, help="scenario seed (same seed, same plant)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--start", help="simulated start time, ISO 8601 (default: now)")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="DEVICE:KIND:at=S[:for=S][:code=N], KIND in offline, exception, restart, "
        "counter-reset, counter-wrap; times in simulated seconds (repeatable)",
    )
    p.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="NAME=PORT",
        help="override a demo port, by server (modbus-meters, modbus-pv, modbus-line2) "
        "or device name (line1-plc, pv-inverter, ...); repeatable",
    )
    p.add_argument("--cert-dir", type=Path, help="enable OPC UA Basic256Sha256; certificates kept here")
    p.add_argument("--opcua-user", help="OPC UA username (password from ZCF_SIM_OPCUA_PASSWORD)")
    return p


class SimEnv(BaseSettings):
    """Secrets of the simulated plant: ``ZCF_SIM_OPCUA_PASSWORD`` (never on the command line)."""

    model_config = SettingsConfigDict(env_prefix="ZCF_SIM_", frozen=True)

    opcua_password: str | None = None


def _security(args: argparse.Namespace) -> OpcuaSecurity | None:
    if args.cert_dir is None:
        return None
    return OpcuaSecurity(args.cert_dir, args.opcua_user, from_env(SimEnv).opcua_password)


def _faults(texts: list[str], spec: PlantSpec) -> list[FaultSpec]:
    faults = [parse_fault(t) for t in texts]
    for f in faults:
        check_fault(f, spec)
    return faults


def _start(text: str | None, spec: PlantSpec) -> datetime | None:
    """Parse --start; a time without an offset is read in the site's time zone."""
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(spec.timezone))


def _ports(texts: list[str]) -> dict[str, int]:
    ports = {}
    for text in texts:
        name, sep, raw = text.partition("=")
        if not sep or not raw.isdigit() or not 0 < int(raw) < 65536:
            raise ValueError(f"--port {text!r}: expected NAME=PORT with PORT in 1..65535")
        ports[name] = int(raw)
    return ports


def _log_endpoints(plant: Plant) -> None:
    for device in plant.devices():
        if device in {s.name for s in plant.spec.opcua}:
            log.info("serving device=%s endpoint=%s", device, plant.opcua_endpoint(device))
        else:
            host, port, unit, framer = plant.modbus_endpoint(device)
            log.info("serving device=%s modbus=%s:%d unit=%d framer=%s", device, host, port, unit, framer)


async def _serve(
    args: argparse.Namespace, spec: PlantSpec, faults: list[FaultSpec], stop: asyncio.Event
) -> None:
    start = _start(args.start, spec)
    async with run_plant(
        spec,
        host=args.host,
        ports=_ports(args.port) or None,
        speed=args.speed,
        seed=args.seed,
        start=start,
        counter_event=counter_event(faults),
        opcua_security=_security(args),
    ) as plant:
        _log_endpoints(plant)
        log.info("plant running speed=%s seed=%d faults=%d", args.speed, args.seed, len(faults))
        fault_task = asyncio.create_task(run_faults(plant, faults))
        await stop.wait()
        fault_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await fault_task
    log.info("plant stopped")


def main(argv: list[str]) -> int:
    """Entry point of ``zcf sim``; returns the process exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    spec = PlantSpec.example()
    try:
        faults = _faults(args.fault, spec)
        _start(args.start, spec)
        _ports(args.port)
    except ValueError as exc:
        print(f"zcf sim: {exc}", file=sys.stderr)
        return 2
    serve = functools.partial(_serve, args, spec, faults)
    return runner.run("zcf sim", lambda: runner.UntilStopped(serve), failures=(OSError, RuntimeError))
