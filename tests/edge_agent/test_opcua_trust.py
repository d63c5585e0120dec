"""OPC UA server trust against the in-process asyncua PLC with Basic256Sha256: an untrusted
server is refused naming the file to trust; trusting it (or first use, when enabled) works."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from edge_agent.config_devices import OpcuaDevice
from edge_agent.drivers.base import DriverContext
from edge_agent.drivers.opcua import OpcuaDriver
from edge_agent.drivers.opcua_trust import ServerTrust, UntrustedServerCertificate
from iiot_core.errors import DriverError
from simulators.opcua_server import OpcuaSecurity
from simulators.plant import PlantSpec, run_plant
from tests.iiot_core.tls_certs import make_ca
from tests.support.edge import config_for
from tests.support.simulators import NOON

DEVICE = "line1-plc"


def secure_device(plant: Any, tmp_path: Path, **trust: Any) -> OpcuaDevice:
    dev = {"security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt", **trust}
    cfg = config_for(plant, "mqtt://127.0.0.1:1", tmp_path, only={DEVICE}, device_overrides={DEVICE: dev})
    device = cfg.devices[0]
    assert isinstance(device, OpcuaDevice)
    return device


async def read_once(dev: OpcuaDevice) -> set[str]:
    driver = OpcuaDriver(dev, DriverContext(agent_id="edge1"))
    try:
        await driver.connect()
        return {p.name for p in await driver.read()}
    finally:
        await driver.close()


def plc(server_pki: Path) -> Any:
    return run_plant(
        PlantSpec.example(), ports="free", speed=0, start=NOON, only=[DEVICE],
        opcua_security=OpcuaSecurity(server_pki),
    )  # fmt: skip


async def test_untrusted_server_is_refused_until_its_certificate_is_trusted(tmp_path: Path) -> None:
    trust = tmp_path / "trust"
    async with plc(tmp_path / "server-pki") as plant:
        dev = secure_device(plant, tmp_path, trust_dir=str(trust))
        with pytest.raises(DriverError, match="server certificate is not trusted") as refused:
            await read_once(dev)
        [saved] = (trust / "rejected").iterdir()
        assert f"saved to {saved}: check it, then move it to {trust}/" in str(refused.value)
        assert saved.read_bytes() == (tmp_path / "server-pki" / f"{DEVICE}-cert.der").read_bytes()
        shutil.move(saved, trust / saved.name)  # the operator's review
        assert "gas_total" in await read_once(dev)


async def test_trust_on_first_use_pins_the_first_certificate_only(tmp_path: Path) -> None:
    trust = tmp_path / "trust"
    async with plc(tmp_path / "server-pki") as plant:
        dev = secure_device(plant, tmp_path, trust_dir=str(trust), trust_on_first_use=True)
        assert "gas_total" in await read_once(dev)
    assert (trust / f"{DEVICE}.der").read_bytes() == (
        tmp_path / "server-pki" / f"{DEVICE}-cert.der"
    ).read_bytes()
    # Another server answers at the device's address with its own certificate: refused.
    async with plc(tmp_path / "impostor-pki") as plant:
        dev = secure_device(plant, tmp_path, trust_dir=str(trust), trust_on_first_use=True)
        with pytest.raises(DriverError, match=f"differs from the one pinned in {trust / DEVICE}.der"):
            await read_once(dev)


async def test_an_unrelated_trusted_certificate_does_not_trust_the_server(tmp_path: Path) -> None:
    # The trust list holds an unrelated certificate: still refused, nothing pinned by default.
    trust = tmp_path / "trust"
    trust.mkdir()
    async with plc(tmp_path / "other-pki") as _other:
        pass
    shutil.copy(tmp_path / "other-pki" / f"{DEVICE}-cert.der", trust / "other.der")
    async with plc(tmp_path / "server-pki") as plant:
        with pytest.raises(DriverError, match="is not trusted"):
            await read_once(secure_device(plant, tmp_path, trust_dir=str(trust)))
    assert not (trust / f"{DEVICE}.der").exists()


def test_a_server_certificate_signed_by_a_trusted_ca_is_trusted(tmp_path: Path) -> None:
    # A plant PKI: trust the CA once instead of every PLC's certificate.
    trust, pki = tmp_path / "trust", tmp_path / "pki"
    trust.mkdir()
    pki.mkdir()
    (pki / "rogue").mkdir()
    # Same CA name, another key: only the signature tells them apart.
    ca, rogue = make_ca(pki, "plant-ca"), make_ca(pki / "rogue", "plant-ca")
    shutil.copy(ca.path, trust / "plant-ca.crt")
    checker = ServerTrust(trust, DEVICE, "opc.tcp://plc:4840", trust_on_first_use=False)
    signed, _ = ca.issue(pki, "plc", "127.0.0.1", server=True)
    checker.check(x509.load_pem_x509_certificate(signed.read_bytes()))
    forged, _ = rogue.issue(pki, "forged", "127.0.0.1", server=True)
    with pytest.raises(UntrustedServerCertificate, match="is not trusted"):
        checker.check(x509.load_pem_x509_certificate(forged.read_bytes()))
