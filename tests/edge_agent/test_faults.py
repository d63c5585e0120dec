"""Device faults: a dead or refusing device only affects itself, and is read again when back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge_agent.agent import Agent
from simulators.opcua_server import OpcuaSecurity, SecurityMode
from simulators.plant import PlantSpec, run_plant
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto
from tests.support.simulators import NOON


def _count(c: Collector, name: str) -> int:
    return len(c.telemetry[name])


async def _during_retries(
    agent: Agent, c: Collector, dead: set[str], watched: set[str], retries: int
) -> tuple[dict[str, int], dict[str, int]]:
    """Polls published by ``watched`` devices while every ``dead`` device fails ``retries`` more times.

    Returns (polls gained per watched device, failed attempts per dead device). The window is
    paced by the dead devices' backoff, not by a wall-clock sleep, so a slow machine stretches
    it instead of failing the test.
    """
    await c.wait_for(lambda: all(agent.health[n].online is False for n in dead))
    failures = {n: agent.health[n].failures for n in dead}
    counts = {n: _count(c, n) for n in watched}
    await c.wait_for(lambda: all(agent.health[n].failures >= failures[n] + retries for n in dead), 20)
    gained = {n: _count(c, n) - counts[n] for n in watched}
    return gained, {n: agent.health[n].failures - failures[n] for n in dead}


async def test_dead_device_does_not_delay_the_others(
    broker: Mosquitto, collector: Collector, tmp_path: Path
) -> None:
    only = {"main-meter", "line1-meter", "pv-inverter", "line2-meter"}
    async with run_plant(PlantSpec.example(), ports="free", speed=0, only=only) as plant:
        overrides = {n: {"timeout_s": 0.5} for n in only}
        cfg = config_for(plant, broker.url, tmp_path, only=only, poll_s=0.1, device_overrides=overrides)
        async with running(cfg) as agent:
            await collector.wait_for(lambda: all(_count(collector, n) >= 2 for n in only))
            await plant.stop_device("pv-inverter")  # its server closes: connect refused
            await plant.stop_device("line2-meter")  # likewise, on the RTU-over-TCP port
            dead = {"pv-inverter", "line2-meter"}
            gained, retries = await _during_retries(agent, collector, dead, only, retries=3)
            assert gained["pv-inverter"] == 0 and gained["line2-meter"] == 0, gained
            # Retries are >= 0.25 s apart (backoff), polls 0.1 s: a healthy device polls ~5-10
            # times per retry of a dead one; at least twice leaves room for a loaded CI box.
            for name in ("main-meter", "line1-meter"):
                assert gained[name] >= 2 * max(retries.values()), (gained, retries)
            await collector.wait_for(
                lambda: (
                    collector.status["pv-inverter"][-1:] != []
                    and collector.status["pv-inverter"][-1].state == "offline"
                )
            )
            await plant.resume_device("pv-inverter")
            await plant.resume_device("line2-meter")
            mark = {n: _count(collector, n) for n in ("pv-inverter", "line2-meter")}
            await collector.wait_for(lambda: all(_count(collector, n) > mark[n] + 2 for n in mark), 8)
            await collector.wait_for(lambda: collector.status["pv-inverter"][-1].state == "online")
    for name in only:
        seqs = [t.seq for t in collector.telemetry[name]]
        assert seqs == sorted(set(seqs)), name  # increasing, no duplicates


async def test_silent_unit_on_a_shared_connection(
    broker: Mosquitto, collector: Collector, tmp_path: Path
) -> None:
    # main-meter and line1-meter share one TCP connection: a silent unit holds the bus for
    # at most its timeout per attempt, and backoff spaces the attempts out.
    only = {"main-meter", "line1-meter"}
    async with run_plant(PlantSpec.example(), ports="free", speed=0, only=only) as plant:
        overrides = {n: {"timeout_s": 0.3} for n in only}
        cfg = config_for(plant, broker.url, tmp_path, only=only, poll_s=0.1, device_overrides=overrides)
        async with running(cfg) as agent:
            await collector.wait_for(lambda: all(_count(collector, n) >= 2 for n in only))
            await plant.stop_device("main-meter")
            gained, retries = await _during_retries(agent, collector, {"main-meter"}, only, retries=3)
            assert gained["main-meter"] == 0, gained
            # Each attempt holds the bus 0.3 s, then backoff frees it for 0.25-1 s: line1-meter
            # polls ~5 times per attempt. Retrying without backoff would leave it ~1.
            assert gained["line1-meter"] >= 2 * retries["main-meter"], (gained, retries)
            await plant.resume_device("main-meter")
            mark = _count(collector, "main-meter")
            await collector.wait_for(lambda: _count(collector, "main-meter") > mark + 2, 8)


async def test_outage_logs_one_error_then_debug_then_one_info(
    broker: Mosquitto, collector: Collector, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="edge_agent")
    only = {"pv-inverter"}
    async with run_plant(PlantSpec.example(), ports="free", speed=0, only=only) as plant:
        overrides = {"pv-inverter": {"timeout_s": 0.5}}
        cfg = config_for(plant, broker.url, tmp_path, only=only, poll_s=0.1, device_overrides=overrides)
        async with running(cfg) as agent:
            health = agent.health["pv-inverter"]
            await collector.wait_for(lambda: _count(collector, "pv-inverter") >= 2)
            caplog.clear()
            await plant.stop_device("pv-inverter")  # its server closes: every reconnect is refused
            await collector.wait_for(lambda: health.failures >= 4)
            outage = _edge_records(caplog)
            await plant.resume_device("pv-inverter")
            mark = _count(collector, "pv-inverter")
            await collector.wait_for(lambda: _count(collector, "pv-inverter") > mark + 3, 8)
            records = _edge_records(caplog)
    loud = [r for r in outage if r.levelno >= logging.WARNING]
    assert [r.levelno for r in loud] == [logging.ERROR], [r.getMessage() for r in loud]
    assert "device=pv-inverter" in loud[0].getMessage()
    quiet = [r for r in outage if r.levelno == logging.DEBUG and "still failing" in r.getMessage()]
    assert len(quiet) >= 3  # every later attempt was logged, at DEBUG
    after = records[len(outage) :]
    assert [r for r in after if r.levelno >= logging.WARNING] == []
    recovered = [r for r in after if r.levelno == logging.INFO and "recovered" in r.getMessage()]
    assert len(recovered) == 1 and "device=pv-inverter" in recovered[0].getMessage()


def _edge_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("edge_agent")]


async def test_exception_responses_then_recovery(
    broker: Mosquitto, collector: Collector, tmp_path: Path
) -> None:
    only = {"line2-meter", "pv-inverter"}
    async with run_plant(PlantSpec.example(), ports="free", speed=0, only=only) as plant:
        cfg = config_for(plant, broker.url, tmp_path, only=only, poll_s=0.1)
        async with running(cfg) as agent:
            await collector.wait_for(lambda: _count(collector, "line2-meter") >= 2)
            plant.set_exception("line2-meter", True)
            pv_before = _count(collector, "pv-inverter")
            await collector.wait_for(lambda: agent.health["line2-meter"].online is False)
            assert "exception code" in agent.health["line2-meter"].last_error
            await collector.wait_for(lambda: collector.status["line2-meter"][-1].state == "offline")
            plant.set_exception("line2-meter", False)
            mark = _count(collector, "line2-meter")
            await collector.wait_for(lambda: _count(collector, "line2-meter") > mark + 2, 8)
            assert agent.health["line2-meter"].online is True
            assert _count(collector, "pv-inverter") > pv_before + 3  # never disturbed


async def test_opcua_server_restart_is_recovered(
    broker: Mosquitto, collector: Collector, tmp_path: Path
) -> None:
    only = {"line1-plc", "line2-plc"}
    async with run_plant(PlantSpec.example(), ports="free", speed=1, start=NOON, only=only) as plant:
        overrides = {n: {"timeout_s": 1} for n in only}
        cfg = config_for(plant, broker.url, tmp_path, only=only, poll_s=0.2, device_overrides=overrides)
        async with running(cfg) as agent:
            await collector.wait_for(lambda: all(_count(collector, n) >= 2 for n in only))
            await plant.restart_opcua("line1-plc")
            await plant.restart_opcua("line2-plc")
            mark = {n: _count(collector, n) for n in only}
            await collector.wait_for(lambda: all(_count(collector, n) > mark[n] + 3 for n in only), 15)
            for name in only:
                assert agent.health[name].online is True
                last = collector.telemetry[name][-1]
                assert {p.quality.value for p in last.points} == {"good"}
                truth = plant.truth(name, "gas_total")
                got = next(p.value for p in last.points if p.name == "gas_total")
                assert abs(got - truth) <= 0.05 * max(1.0, truth)


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
async def test_opcua_basic256sha256_with_username(
    broker: Mosquitto, collector: Collector, tmp_path: Path, mode: SecurityMode
) -> None:
    # The server offers only ``mode``: a session in any other mode would be refused. In Sign
    # mode the password is encrypted with the policy itself, not by the channel.
    security = OpcuaSecurity(
        tmp_path / "server-pki", "operator", "s3cret", allow_anonymous=False, modes=(mode,)
    )
    only = {"line1-plc"}
    async with run_plant(
        PlantSpec.example(), ports="free", speed=0, only=only, opcua_security=security
    ) as plant:
        dev = {
            "security_policy": "Basic256Sha256",
            "security_mode": mode,
            "username": "operator",
            "password": "s3cret",
            "trust_dir": str(tmp_path / "trust"),
            "trust_on_first_use": True,  # refused by default: see test_opcua_trust.py
        }
        cfg = config_for(plant, broker.url, tmp_path, only=only, device_overrides={"line1-plc": dev})
        async with running(cfg):
            await collector.wait_for(lambda: _count(collector, "line1-plc") >= 2, 15)
        assert (tmp_path / "pki" / "edge1-cert.der").is_file()  # generated on first start
        last = collector.telemetry["line1-plc"][-1]
        assert {p.name for p in last.points} >= {"production_count", "gas_total"}
