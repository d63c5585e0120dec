"""State points: strings and enumerations to codes, from a real PLC through the agent and Mosquitto."""

from __future__ import annotations

import logging
from pathlib import Path

import msgspec
import pytest
from asyncua import Server, ua
from asyncua.common.structures104 import new_enum

from edge_agent.config_devices import OpcuaDevice
from edge_agent.drivers.base import DriverContext
from edge_agent.drivers.opcua import OpcuaDriver
from edge_agent.states import UNKNOWN, StateMap
from edge_agent.status import AgentStatus
from iiot_core import codec
from iiot_core.model import Point, Quality, Telemetry
from simulators.plant import PlantSpec, run_plant
from tests.support.edge import Collector, config_for, running
from tests.support.servers import Mosquitto, free_port
from tests.support.simulators import NOON

CODES = {"idle": 0, "running": 1, "fault": 2, "stopped": 3}


def test_names_codes_and_enumerations() -> None:
    sm = StateMap("plc", "state", CODES)
    assert sm.recognise("running").code == 1.0
    assert sm.recognise(ua.LocalizedText("stopped")).code == 3.0
    assert sm.recognise(2).code == 2.0 and sm.recognise(2).name == "fault"
    # An enumeration whose values differ from the site's codes: translated through the names.
    enum = StateMap("plc", "state", CODES, enum_names={0: "running", 1: "idle", 5: "fault"})
    assert [enum.recognise(v).code for v in (0, 1, 5)] == [1.0, 0.0, 2.0]
    assert StateMap("plc", "s", None, enum_names={4: "x"}).recognise(4).code == 4.0
    assert sm.unrecognised == 0 and enum.unrecognised == 0


def test_unknown_states_are_counted_and_logged_once_per_cause(caplog: pytest.LogCaptureFixture) -> None:
    sm = StateMap("plc", "state", CODES)
    with caplog.at_level(logging.WARNING, logger="edge_agent.states"):
        got = [sm.recognise(v) for v in ("maintenance", "maintenance", 7, 1.5, None, "maintenance")]
    assert [g.code for g in got] == [UNKNOWN] * 6 and not any(g.known for g in got)
    assert [g.name for g in got] == ["maintenance", "maintenance", "7", "1.5", "", "maintenance"]
    assert sm.unrecognised == 6
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines  # 'maintenance', 7, 1.5 and None: once each
    assert "device=plc point=state value='maintenance'" in lines[0]
    assert StateMap("plc", "n", None).recognise("running").code == UNKNOWN  # a string needs states


async def test_string_state_from_a_real_plc(broker: Mosquitto, collector: Collector, tmp_path: Path) -> None:
    """Line1.StateText = "running" | "stopped" | "maintenance" -> 1, 3, -1 (bad) on MQTT."""
    only = {"line1-plc"}
    # 14:01 is inside the changeover at the start of the afternoon shift: the PLC shows "stopped".
    for start, text in ((NOON, "running"), (NOON.replace(hour=14, minute=1), "stopped")):
        async with run_plant(PlantSpec.example(), ports="free", speed=0, start=start, only=only) as plant:
            assert CODES[text] == plant.truth("line1-plc", "state_text")  # the scenario decides
            cfg = config_for(plant, broker.url, tmp_path, only=only)
            collector.telemetry.clear()
            async with running(cfg) as agent:
                await collector.wait_for(lambda: len(collector.telemetry["line1-plc"]) >= 2, 15)
                last = {p.name: p for p in collector.telemetry["line1-plc"][-1].points}
                assert last["line_state"].value == CODES[text]
                assert last["line_state"].quality is Quality.GOOD
                assert last["line_state"].state == text  # the name travels beside its code
                plant.set_opcua_text("line1-plc", "state_text", "maintenance")

                def unknown() -> bool:
                    pts = {p.name: p for p in collector.telemetry["line1-plc"][-1].points}
                    return pts["line_state"].quality is Quality.BAD

                await collector.wait_for(unknown, 10)
                pts = {p.name: p for p in collector.telemetry["line1-plc"][-1].points}
                assert pts["line_state"].value == UNKNOWN
                assert pts["line_state"].state == "maintenance"
                assert pts["production_count"].quality is Quality.GOOD  # the rest flows on
                await collector.wait_for(lambda: agent.health["line1-plc"].unrecognised_states > 0, 5)
                metrics = AgentStatus(agent).render().decode()
                n = agent.health["line1-plc"].unrecognised_states
                assert f'zcf_edge_unrecognised_states_total{{device="line1-plc"}} {n:.1f}' in metrics


async def test_enumeration_node_is_translated_by_its_names(tmp_path: Path) -> None:
    """A node of an enumeration data type (value 0 = "running" on this PLC) -> the site's code 1."""
    port = free_port()
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/enum")
    idx = await server.register_namespace("urn:test:enum")
    dtype = await new_enum(server, idx, "LineStateEnum", ["running", "idle", "fault"])
    var = await server.nodes.objects.add_variable(
        ua.NodeId("State", idx), "State", ua.Variant(0, ua.VariantType.Int32), datatype=dtype.nodeid
    )
    async with server:
        dev = OpcuaDevice.model_validate(
            {
                "kind": "opcua", "name": "plc", "area": "a", "line": "l", "mode": "polling",
                "endpoint": f"opc.tcp://127.0.0.1:{port}/enum", "poll_interval_s": 0.5,
                "points": [{"name": "line_state", "node_id": f"ns={idx};s=State", "states": CODES}],
            }
        )  # fmt: skip
        drv = OpcuaDriver(dev, DriverContext("edge1"))
        await drv.connect()
        try:
            assert (await drv.read())[0].value == 1.0  # "running"
            await var.write_value(ua.Variant(1, ua.VariantType.Int32))
            assert (await drv.read())[0].value == 0.0  # "idle"
            await var.write_value(ua.Variant(9, ua.VariantType.Int32))
            point = (await drv.read())[0]
            assert (point.value, point.quality) == (UNKNOWN, Quality.BAD)
            assert next(iter(drv.states.values())).unrecognised == 1
        finally:
            await drv.close()


def test_the_state_name_is_optional_on_the_wire() -> None:
    """Omitted when empty (a message without states is byte for byte as before); older decoders skip it."""
    with_state = Telemetry(1, "s", "a", "l", "plc", 1, 5, [Point("line_state", 3.0, 5, state="stopped")])
    payload = codec.encode(with_state)
    assert b'"state":"stopped"' in payload
    assert codec.decode_telemetry(payload, now_ms=5) == with_state
    assert b'"state"' not in codec.encode(Point("line_state", 3.0, 5))

    class OldPoint(msgspec.Struct):
        name: str
        value: float
        ts: int

    old = msgspec.json.decode(codec.encode(Point("line_state", 3.0, 5, state="stopped")), type=OldPoint)
    assert (old.name, old.value) == ("line_state", 3.0)
