"""`zcf sim` as a real process, and the fault schedule."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from simulators.cli import main
from simulators.faults import FaultSpec, check_fault, counter_event, parse_fault, run_faults
from simulators.plant import PlantSpec, run_plant
from simulators.scenario import CounterEvent
from tests.support.servers import free_port, wait_port
from tests.support.simulators import NOON, modbus_client

SPEC = PlantSpec.example()


def test_parse_faults() -> None:
    assert parse_fault("pv-inverter:offline:at=60:for=30") == FaultSpec("pv-inverter", "offline", 60, 30)
    assert parse_fault("line1-meter:exception:at=10:for=5:code=4").code == 4
    assert parse_fault("line1-plc:restart:at=30").for_s is None
    faults = [parse_fault("line2-meter:counter-reset:at=120"), parse_fault("line2-meter:counter-wrap:at=90")]
    assert counter_event(faults) == CounterEvent("wrap", 90)
    for bad in (
        "pv-inverter:offline",
        "pv-inverter:melt:at=1",
        "pv-inverter:offline:at=x",
        "a:offline:when=1",
    ):
        with pytest.raises(ValueError):
            parse_fault(bad)
    for unfit in (
        "nowhere:offline:at=1",
        "line1-plc:exception:at=1",
        "pv-inverter:restart:at=1",
        "main-meter:counter-reset:at=1",
    ):
        with pytest.raises(ValueError):
            check_fault(parse_fault(unfit), SPEC)


def test_cli_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fault", "pv-inverter:melt:at=1"]) == 2
    assert "unknown kind" in capsys.readouterr().err
    assert main(["--port", "modbus-pv=abc"]) == 2
    assert main(["--help"]) == 0


async def test_scheduled_faults_play_in_simulated_time() -> None:
    faults = [
        parse_fault("pv-inverter:offline:at=20:for=40"),
        parse_fault("line1-meter:exception:at=0:for=1000"),
    ]
    async with run_plant(
        SPEC, ports="free", speed=100, start=NOON, only=["modbus-meters", "modbus-pv"]
    ) as plant:
        host, port, _, _ = plant.modbus_endpoint("pv-inverter")
        task = asyncio.create_task(run_faults(plant, faults))
        await asyncio.sleep(0.4)  # ~40 simulated seconds: pv offline, line1 in exception
        with pytest.raises(OSError):
            await asyncio.open_connection(host, port)
        async with modbus_client(plant, "line1-meter") as client:
            rr = await client.read_holding_registers(0, count=2, device_id=2)
            assert rr.isError() and rr.exception_code == 6
        await asyncio.sleep(0.5)  # past 60 s: pv back on the same port
        async with modbus_client(plant, "pv-inverter") as client:
            assert not (await client.read_holding_registers(0, count=2, device_id=1)).isError()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_zcf_sim_process_serves_and_stops_on_sigterm() -> None:
    names = ["modbus-meters", "modbus-pv", "modbus-line2", "line1-plc", "line2-plc"]
    ports = {n: free_port() for n in names}
    args = [sys.executable, "-m", "zcf.cli", "sim", "--speed", "10", "--seed", "3"]
    args += [a for n, p in ports.items() for a in ("--port", f"{n}={p}")]
    args += ["--fault", "line2-meter:counter-wrap:at=60"]
    env = {**os.environ, "ZCF_LOG_LEVEL": "INFO"}
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for port in ports.values():
            wait_port(port, timeout_s=15)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert f"opc.tcp://127.0.0.1:{ports['line1-plc']}/zcf/line1" in err
    assert f"device=line2-meter modbus=127.0.0.1:{ports['modbus-line2']} unit=3 framer=rtu" in err
    assert "plant stopped" in err
