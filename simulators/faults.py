"""Scheduled faults: ``device:kind:at=S[:for=S][:code=N]``, times in simulated seconds.

Kinds: ``offline`` (device stops answering, then returns on the same port), ``exception``
(Modbus exception responses, default code 6 = device busy), ``restart`` (OPC UA server stop +
start), ``counter-reset`` / ``counter-wrap`` (line2-meter import energy register; these are
part of the scenario itself, see :class:`simulators.scenario.CounterEvent`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal, cast, get_args

from pymodbus.constants import ExcCodes

from simulators.plant import Plant, PlantSpec
from simulators.scenario import CounterEvent

log = logging.getLogger(__name__)

FaultKind = Literal["offline", "exception", "restart", "counter-reset", "counter-wrap"]
COUNTER_DEVICE = "line2-meter"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One scheduled fault; ``for_s`` None means it lasts until the plant stops."""

    device: str
    kind: FaultKind
    at_s: float
    for_s: float | None = None
    code: int = ExcCodes.DEVICE_BUSY


def parse_fault(text: str) -> FaultSpec:
    """Parse ``device:kind:at=60:for=30``; ValueError names what is wrong."""
    parts = text.split(":")
    if len(parts) < 3:
        raise ValueError(f"fault {text!r}: expected DEVICE:KIND:at=SECONDS[:for=SECONDS]")
    device, kind, *opts = parts
    if kind not in get_args(FaultKind):
        raise ValueError(f"fault {text!r}: unknown kind {kind!r} (one of {', '.join(get_args(FaultKind))})")
    values: dict[str, float] = {}
    for opt in opts:
        key, sep, raw = opt.partition("=")
        if not sep or key not in ("at", "for", "code"):
            raise ValueError(f"fault {text!r}: unknown option {opt!r} (at=, for=, code=)")
        try:
            values[key] = float(raw)
        except ValueError as exc:
            raise ValueError(f"fault {text!r}: {key}= needs a number, got {raw!r}") from exc
    if "at" not in values:
        raise ValueError(f"fault {text!r}: at=SECONDS is required")
    code = int(values.get("code", ExcCodes.DEVICE_BUSY))
    return FaultSpec(device, cast(FaultKind, kind), values["at"], values.get("for"), code)


def check_fault(fault: FaultSpec, spec: PlantSpec) -> None:
    """ValueError if the fault does not fit the plant (unknown device, wrong protocol)."""
    modbus = {d.name for d in spec.modbus_devices()}
    opcua = {s.name for s in spec.opcua}
    if fault.device not in modbus | opcua:
        raise ValueError(f"fault on unknown device {fault.device!r}")
    if fault.kind == "exception" and fault.device not in modbus:
        raise ValueError(f"exception faults are for Modbus devices, not {fault.device!r}")
    if fault.kind == "restart" and fault.device not in opcua:
        raise ValueError(f"restart faults are for OPC UA PLCs, not {fault.device!r}")
    if fault.kind.startswith("counter-") and fault.device != COUNTER_DEVICE:
        raise ValueError(f"counter faults are only simulated on {COUNTER_DEVICE}")
    if fault.kind == "exception":
        ExcCodes(fault.code)


def counter_event(faults: list[FaultSpec]) -> CounterEvent | None:
    """The scenario counter event among ``faults`` (the last one wins)."""
    event = None
    for f in faults:
        if f.kind == "counter-reset":
            event = CounterEvent("reset", f.at_s)
        elif f.kind == "counter-wrap":
            event = CounterEvent("wrap", f.at_s)
    return event


async def _sleep_until(plant: Plant, at_s: float) -> None:
    """Sleep until the plant's simulated elapsed time reaches ``at_s``."""
    speed = plant.live.clock.speed
    if speed <= 0:
        await asyncio.Event().wait()  # a frozen clock never reaches the fault
    while (remaining := at_s - plant.sim_elapsed()) > 0:
        await asyncio.sleep(min(remaining / speed, 1.0))


async def _apply(plant: Plant, fault: FaultSpec, on: bool) -> None:
    if fault.kind == "offline":
        await (plant.stop_device(fault.device) if on else plant.resume_device(fault.device))
    elif fault.kind == "exception":
        plant.set_exception(fault.device, on, fault.code)
    elif fault.kind == "restart" and on:
        await plant.restart_opcua(fault.device)


async def run_fault(plant: Plant, fault: FaultSpec) -> None:
    """Play one fault on schedule (counter faults live in the scenario: nothing to do)."""
    if fault.kind.startswith("counter-"):
        return
    await _sleep_until(plant, fault.at_s)
    log.info("fault start device=%s kind=%s sim_s=%.0f", fault.device, fault.kind, fault.at_s)
    await _apply(plant, fault, True)
    if fault.for_s is None or fault.kind == "restart":
        return
    await _sleep_until(plant, fault.at_s + fault.for_s)
    await _apply(plant, fault, False)
    log.info("fault end device=%s kind=%s", fault.device, fault.kind)


async def run_faults(plant: Plant, faults: list[FaultSpec]) -> None:
    """Play every fault concurrently; returns when all have ended."""
    async with asyncio.TaskGroup() as tg:
        for fault in faults:
            tg.create_task(run_fault(plant, fault))
