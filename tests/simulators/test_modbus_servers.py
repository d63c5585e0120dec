"""The Modbus servers against a real pymodbus client: every point, tables, faults, events."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from simulators.plant import Plant, PlantSpec, run_plant
from simulators.profiles import LINE1
from simulators.register_maps import MAIN_METER, ModbusDeviceMap, ModbusServerSpec
from simulators.scenario import WRAP, CounterEvent
from tests.support.simulators import NOON, decode, first_fault_after, modbus_client

MODBUS = ["modbus-meters", "modbus-pv", "modbus-line2"]
SPEC = PlantSpec.example()
MAPS = {d.name: d for d in SPEC.modbus_devices()}


@pytest.fixture
async def plant() -> AsyncIterator[Plant]:
    async with run_plant(SPEC, ports="free", speed=0, start=NOON, only=MODBUS) as p:
        yield p


async def read(client: AsyncModbusTcpClient, dev: ModbusDeviceMap, address: int, count: int):  # type: ignore[no-untyped-def]
    reader = client.read_input_registers if dev.table == "input" else client.read_holding_registers
    return await reader(address, count=count, device_id=dev.unit_id)


@pytest.mark.parametrize("device", ["main-meter", "line1-meter", "pv-inverter", "line2-meter"])
async def test_every_point_matches_truth(plant: Plant, device: str) -> None:
    dev = MAPS[device]
    async with modbus_client(plant, device) as client:
        for f in dev.fields:
            rr = await read(client, dev, f.address, f.words)
            assert not rr.isError(), (device, f.point, rr)
            value = decode(rr.registers, f.dtype, dev.order) / f.factor
            truth = plant.truth(device, f.point)
            tol = 1e-6 * abs(truth) if f.dtype == "float32" else 0.51 / f.factor
            assert value == pytest.approx(truth, abs=tol), (device, f.point)


async def test_framers_and_ports(plant: Plant) -> None:
    host, _port, unit, framer = plant.modbus_endpoint("line2-meter")
    assert (host, unit, framer) == ("127.0.0.1", 3, "rtu")
    assert plant.modbus_endpoint("main-meter")[1:] == (plant.modbus_endpoint("line1-meter")[1], 1, "socket")
    assert plant.modbus_endpoint("line1-meter")[2] == 2


async def test_whole_block_reads_and_table_checks(plant: Plant) -> None:
    main = MAPS["main-meter"]
    async with modbus_client(plant, "main-meter") as client:
        rr = await client.read_input_registers(0, count=main.size, device_id=1)
        assert not rr.isError()
        assert decode(rr.registers[52:54], "float32", "ABCD") == pytest.approx(
            plant.truth("main-meter", "active_power") * 1000, rel=1e-6
        )
        wrong_table = await client.read_holding_registers(0, count=2, device_id=1)
        assert wrong_table.isError() and wrong_table.exception_code == 2
        beyond = await client.read_input_registers(main.size - 1, count=2, device_id=1)
        assert beyond.isError() and beyond.exception_code == 2
        write = await client.write_register(0, 1, device_id=2)
        assert write.isError()


async def test_values_follow_the_running_clock() -> None:
    async with run_plant(SPEC, ports="free", speed=600, start=NOON, only=["line1-meter"]) as plant:
        dev = MAPS["line1-meter"]
        async with modbus_client(plant, "line1-meter") as client:
            first = decode((await read(client, dev, 2, 2)).registers, "uint32", "CDAB") / 100
            await asyncio.sleep(0.5)
            second = decode((await read(client, dev, 2, 2)).registers, "uint32", "CDAB") / 100
            # 0.5 s at speed 600 is 300 s of a line drawing >= ~50 kW.
            assert second - first > 4.0
            assert second == pytest.approx(plant.truth("line1-meter", "import_energy"), abs=2.0)


async def test_exception_fault(plant: Plant) -> None:
    async with modbus_client(plant, "line1-meter") as client:
        plant.set_exception("line1-meter", True)
        rr = await client.read_holding_registers(0, count=2, device_id=2)
        assert rr.isError() and rr.exception_code == 6
        other = await client.read_input_registers(52, count=2, device_id=1)
        assert not other.isError()
        plant.set_exception("line1-meter", True, code=2)
        rr = await client.read_holding_registers(0, count=2, device_id=2)
        assert rr.exception_code == 2
        plant.set_exception("line1-meter", False)
        assert not (await client.read_holding_registers(0, count=2, device_id=2)).isError()


async def test_stop_and_resume_single_device(plant: Plant) -> None:
    host, port, _, _ = plant.modbus_endpoint("pv-inverter")
    await plant.stop_device("pv-inverter")
    with pytest.raises(OSError):
        await asyncio.open_connection(host, port)
    await plant.resume_device("pv-inverter")
    assert plant.modbus_endpoint("pv-inverter")[1] == port
    async with modbus_client(plant, "pv-inverter") as client:
        rr = await client.read_holding_registers(0, count=8, device_id=1)
        assert not rr.isError()


async def test_stop_one_unit_of_a_shared_server(plant: Plant) -> None:
    async with modbus_client(plant, "main-meter") as client:
        await plant.stop_device("main-meter")
        with pytest.raises(ModbusIOException):
            await client.read_input_registers(0, count=2, device_id=1)
        assert not (await client.read_holding_registers(0, count=2, device_id=2)).isError()
    await plant.stop_device("line1-meter")  # last unit gone: the server closes
    host, port, _, _ = plant.modbus_endpoint("main-meter")
    with pytest.raises(OSError):
        await asyncio.open_connection(host, port)
    await plant.resume_device("main-meter")
    async with modbus_client(plant, "main-meter") as client:
        assert not (await client.read_input_registers(0, count=2, device_id=1)).isError()


async def test_line2_counter_wraps_over_modbus() -> None:
    event = CounterEvent("wrap", 60.0)
    async with (
        run_plant(
            SPEC, ports="free", speed=100, start=NOON, counter_event=event, only=["line2-meter"]
        ) as plant,
        modbus_client(plant, "line2-meter") as client,
    ):
        before = decode(
            (await client.read_holding_registers(4, count=2, device_id=3)).registers, "uint32", "ABCD"
        )
        assert before > WRAP - 10_000
        await asyncio.sleep(1.0)  # 100 simulated seconds: past the wrap
        after = decode(
            (await client.read_holding_registers(4, count=2, device_id=3)).registers, "uint32", "ABCD"
        )
        assert after < 5_000
        assert after / 1000 == pytest.approx(plant.truth("line2-meter", "import_energy"), abs=0.5)


async def test_unknown_unit_ids(plant: Plant) -> None:
    async with modbus_client(plant, "main-meter") as client:
        rr = await client.read_holding_registers(100, count=2, device_id=9)
        assert rr.isError() and rr.exception_code == 0x0B  # gateway target failed to respond
    async with modbus_client(plant, "line2-meter") as client:
        with pytest.raises(ModbusIOException):  # nobody on the RTU line answers
            await client.read_holding_registers(0, count=2, device_id=9)
        assert not (await client.read_holding_registers(0, count=2, device_id=3)).isError()


@pytest.mark.parametrize("start", ["noon", "fault"])
async def test_coils_and_discrete_inputs_follow_the_line(start: str) -> None:
    at = NOON if start == "noon" else first_fault_after(NOON, LINE1)
    async with (
        run_plant(SPEC, ports="free", speed=0, start=at, only=["line1-meter"]) as plant,
        modbus_client(plant, "line1-meter") as client,
    ):
        coils = await client.read_coils(0, count=1, device_id=2)
        inputs = await client.read_discrete_inputs(0, count=2, device_id=2)
        assert not coils.isError() and not inputs.isError()
        got = [coils.bits[0], *inputs.bits[:2]]
        truth = [plant.truth("line1-meter", p) for p in ("breaker_closed", "running", "fault_alarm")]
        assert [float(b) for b in got] == truth
        assert truth == ([1.0, 1.0, 0.0] if start == "noon" else [1.0, 0.0, 1.0])
        # A single input read at its own address, not only as part of a block.
        single = await client.read_discrete_inputs(1, count=1, device_id=2)
        assert single.bits[0] == (start == "fault")


async def test_bits_only_where_a_device_has_them(plant: Plant) -> None:
    async with modbus_client(plant, "main-meter") as client:
        for reader in (client.read_coils, client.read_discrete_inputs):
            rr = await reader(0, count=1, device_id=1)  # main-meter has no bits
            assert rr.isError() and rr.exception_code == 2
        write = await client.write_coil(0, False, device_id=2)  # the breaker is not ours to open
        assert write.isError()
        assert (await client.read_coils(0, count=1, device_id=2)).bits[0] is True


async def test_holes_in_the_register_map_answer_illegal_address() -> None:
    # Like a real SDM630: the registers between the fields are not implemented at all.
    gappy = dataclasses.replace(MAIN_METER, holes=((12, 40), (54, 18)))
    spec = dataclasses.replace(SPEC, modbus=(ModbusServerSpec("gappy", 0, "socket", (gappy,)),), opcua=())
    async with (
        run_plant(spec, ports="free", speed=0, start=NOON) as plant,
        modbus_client(plant, "main-meter") as client,
    ):
        for address, count in ((0, 74), (10, 4), (50, 2), (53, 2), (71, 2)):
            rr = await client.read_input_registers(address, count=count, device_id=1)
            assert rr.isError() and rr.exception_code == 2, (address, count)
        for f in gappy.fields:
            rr = await client.read_input_registers(f.address, count=f.words, device_id=1)
            assert not rr.isError(), f.point
            value = decode(rr.registers, f.dtype, gappy.order) / f.factor
            assert value == pytest.approx(plant.truth("main-meter", f.point), rel=1e-6), f.point
        whole_run = await client.read_input_registers(0, count=12, device_id=1)
        assert decode(whole_run.registers[10:12], "float32", "ABCD") == pytest.approx(
            plant.truth("main-meter", "current_l3"), rel=1e-6
        )
