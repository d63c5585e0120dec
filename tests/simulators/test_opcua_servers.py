"""The OPC UA PLCs against a real asyncua client: nodes, security and login, restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from cryptography.x509.oid import ExtendedKeyUsageOID

from simulators.opcua_server import OpcuaSecurity
from simulators.plant import PlantSpec, run_plant
from simulators.register_maps import NAMESPACE_URI
from tests.support.simulators import NOON

SPEC = PlantSpec.example()
TYPES = {
    "UInt32": ua.VariantType.UInt32,
    "Int32": ua.VariantType.Int32,
    "Double": ua.VariantType.Double,
    "String": ua.VariantType.String,
}
STATE_TEXT = {0: "idle", 1: "running", 2: "fault", 3: "stopped"}


async def client_cert(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "client-cert.der", directory / "client-key.pem"
    await setup_self_signed_certificate(
        key, cert, "urn:zcf:test:client", "localhost", [ExtendedKeyUsageOID.CLIENT_AUTH], {}
    )
    return cert, key


async def test_plc_nodes_match_truth() -> None:
    async with run_plant(SPEC, ports="free", speed=0, start=NOON, only=["line1-plc", "line2-plc"]) as plant:
        for spec in SPEC.opcua:
            url = plant.opcua_endpoint(spec.name)
            assert url.startswith("opc.tcp://127.0.0.1:") and url.endswith(spec.path)
            async with Client(url, timeout=5) as client:
                idx = await client.get_namespace_index(NAMESPACE_URI)
                for n in spec.nodes:
                    node = client.get_node(f"ns={idx};s={spec.prefix}.{n.suffix}")
                    dv = await node.read_data_value()
                    assert dv.Value is not None
                    assert dv.Value.VariantType == TYPES[n.vtype]
                    truth = plant.truth(spec.name, n.point)
                    expected = STATE_TEXT[int(truth)] if n.vtype == "String" else truth
                    assert dv.Value.Value == expected, n.point
                    assert dv.SourceTimestamp is not None
                    age = datetime.now(UTC) - dv.SourceTimestamp.replace(tzinfo=UTC)
                    assert age < timedelta(seconds=5)


async def test_basic256sha256_and_username_login(tmp_path: Path) -> None:
    security = OpcuaSecurity(tmp_path / "pki", username="operator", password="s3cret")
    cert, key = await client_cert(tmp_path)
    async with run_plant(
        SPEC, ports="free", speed=0, start=NOON, only=["line1-plc"], opcua_security=security
    ) as plant:
        url = plant.opcua_endpoint("line1-plc")
        assert (tmp_path / "pki" / "line1-plc-cert.der").exists()
        secure = Client(url, timeout=5)
        secure.set_user("operator")
        secure.set_password("s3cret")
        await secure.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
        async with secure:
            idx = await secure.get_namespace_index(NAMESPACE_URI)
            value = await secure.get_node(f"ns={idx};s=Line1.GasTotal").read_value()
            assert value == plant.truth("line1-plc", "gas_total")
        signed = Client(url, timeout=5)
        await signed.set_security_string(f"Basic256Sha256,Sign,{cert},{key}")
        async with signed:
            assert await signed.get_namespace_index(NAMESPACE_URI) >= 2
        async with Client(url, timeout=5) as plain:
            assert await plain.get_namespace_index(NAMESPACE_URI) >= 2
        wrong = Client(url, timeout=5)
        wrong.set_user("operator")
        wrong.set_password("nope")
        await wrong.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
        with pytest.raises(ua.UaError):
            async with wrong:
                pass


class Changes:
    def __init__(self) -> None:
        self.values: list[Any] = []

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        self.values.append(val)


async def test_subscription_restart_and_stop(tmp_path: Path) -> None:
    async with run_plant(SPEC, ports="free", speed=60, start=NOON, only=["line2-plc"]) as plant:
        url = plant.opcua_endpoint("line2-plc")
        async with Client(url, timeout=5) as client:
            idx = await client.get_namespace_index(NAMESPACE_URI)
            handler = Changes()
            sub = await client.create_subscription(50, handler)
            await sub.subscribe_data_change(client.get_node(f"ns={idx};s=Line2.GasTotal"))
            async with asyncio.timeout(5):
                while len(handler.values) < 3:
                    await asyncio.sleep(0.05)
            assert handler.values == sorted(handler.values)
            await plant.restart_opcua("line2-plc")
        assert plant.opcua_endpoint("line2-plc") == url
        async with Client(url, timeout=5) as again:
            idx = await again.get_namespace_index(NAMESPACE_URI)
            state = await again.get_node(f"ns={idx};s=Line2.State").read_value()
            assert state in (0, 1, 2)
        await plant.stop_device("line2-plc")
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)
        await plant.resume_device("line2-plc")
        async with Client(url, timeout=5) as back:
            assert await back.get_namespace_index(NAMESPACE_URI) >= 2


async def test_status_fault_reaches_a_client() -> None:
    async with run_plant(SPEC, ports="free", speed=0, start=NOON, only=["line1-plc"]) as plant:
        plant.set_opcua_status("line1-plc", "gas_flow", ua.StatusCodes.BadSensorFailure)
        plant.set_opcua_status("line1-plc", "gas_total", ua.StatusCodes.UncertainLastUsableValue)
        await asyncio.sleep(0.3)  # a few server updates
        async with Client(plant.opcua_endpoint("line1-plc"), timeout=5) as client:
            idx = await client.get_namespace_index(NAMESPACE_URI)
            flow, total, state = await client.read_attributes(
                [client.get_node(f"ns={idx};s=Line1.{s}") for s in ("GasFlow", "GasTotal", "State")]
            )
            assert flow.StatusCode.value == ua.StatusCodes.BadSensorFailure
            assert flow.Value.Value is None  # Bad: the server sends no value
            assert total.StatusCode.value == ua.StatusCodes.UncertainLastUsableValue
            assert total.Value.Value == pytest.approx(plant.truth("line1-plc", "gas_total"))
            assert state.StatusCode.is_good()
            plant.set_opcua_status("line1-plc", "gas_flow", None)
            await asyncio.sleep(0.3)
            [flow] = await client.read_attributes([client.get_node(f"ns={idx};s=Line1.GasFlow")])
            assert flow.StatusCode.is_good()
            assert flow.Value.Value == pytest.approx(plant.truth("line1-plc", "gas_flow"))
