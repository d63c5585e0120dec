"""mqtts:// against a real Mosquitto TLS listener: CA file, passwords, client certificates,
and the cause of a failed connection named once in the client's log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from iiot_core.errors import ConfigError, PublishError
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from tests.iiot_core.tls_certs import Ca, make_ca
from tests.support.servers import free_port, wait_port


@dataclass
class TlsBroker:
    port: int
    ca: Ca
    folder: Path

    def url(self, userinfo: str = "") -> str:
        return f"mqtts://{userinfo}127.0.0.1:{self.port}"


@contextlib.contextmanager
def tls_mosquitto(folder: Path, auth: str) -> Iterator[TlsBroker]:
    """Mosquitto with only a TLS listener; ``auth`` is the authentication part of its config."""
    ca = make_ca(folder)
    cert, key = ca.issue(folder, "server", "127.0.0.1", server=True)
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\ncafile {ca.path}\ncertfile {cert}\nkeyfile {key}\n"
        f"allow_anonymous false\nlog_dest none\n{auth}" + ("user root\n" if os.geteuid() == 0 else "")
    )
    proc = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)])
    try:
        wait_port(port)
        yield TlsBroker(port, ca, folder)
    finally:
        proc.terminate()
        proc.wait(5)


def password_file(folder: Path, user: str, password: str) -> Path:
    passwd = folder / "passwd"
    mosquitto_passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    subprocess.run([mosquitto_passwd, "-b", "-c", str(passwd), user, password], check=True)
    return passwd


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[TlsBroker]:
    """One user ``edge`` / ``s3cret``."""
    with tls_mosquitto(tmp_path, f"password_file {password_file(tmp_path, 'edge', 's3cret')}\n") as b:
        yield b


@pytest.fixture
def cert_broker(tmp_path: Path) -> Iterator[TlsBroker]:
    """Client certificates required; the certificate's CN is the username."""
    with tls_mosquitto(tmp_path, "require_certificate true\nuse_identity_as_username true\n") as b:
        yield b


async def round_trip(cfg: MqttConfig) -> list[bytes]:
    got: list[bytes] = []
    conn = MqttConnection(
        cfg, "tls-test", subscriptions=[Subscription("t/#")], on_message=lambda m: got.append(m.payload)
    )
    await conn.start(wait_s=10)
    await asyncio.sleep(0.2)
    await asyncio.wait_for(conn.publish("t/x", b"over tls"), 5)
    for _ in range(50):
        if got:
            break
        await asyncio.sleep(0.05)
    await conn.stop()
    return got


async def causes_logged(cfg: MqttConfig, caplog: pytest.LogCaptureFixture, wait_s: float = 2.5) -> list[str]:
    """The 'cannot connect' warnings of a client that tries for ``wait_s`` (at least two attempts)."""
    conn = MqttConnection(cfg.model_copy(update={"reconnect_max_s": 1.0}), "tls-bad")
    with caplog.at_level(logging.WARNING, logger="iiot_core.mqtt"):
        await conn.start()
        with pytest.raises(PublishError, match=f"no MQTT session with 127.0.0.1:{cfg.port}"):
            await conn.wait_connected(wait_s)
        await conn.stop()
    assert conn.connect_count == 0
    return [r.getMessage() for r in caplog.records if "MQTT cannot connect" in r.getMessage()]


async def test_mqtts_with_ca_and_password(tls_broker: TlsBroker) -> None:
    cfg = MqttConfig(url=tls_broker.url("edge:s3cret@"), ca_file=str(tls_broker.ca.path))
    assert await round_trip(cfg) == [b"over tls"]


async def test_wrong_password_is_named_once(tls_broker: TlsBroker, caplog: pytest.LogCaptureFixture) -> None:
    cfg = MqttConfig(url=tls_broker.url(), username="edge", password="wrong", ca_file=str(tls_broker.ca.path))
    logged = await causes_logged(cfg, caplog)
    assert len(logged) == 1, logged
    # Mosquitto 2 answers MQTT 5 clients "Not authorized", 3.1.1 clients "Bad user name or password".
    assert "cause=refused: " in logged[0] and "password" in logged[0], logged[0]
    assert "wrong" not in logged[0]


async def test_wrong_ca_is_named_once(tls_broker: TlsBroker, caplog: pytest.LogCaptureFixture) -> None:
    other = make_ca(tls_broker.folder, "other-ca")
    cfg = MqttConfig(url=tls_broker.url("edge:s3cret@"), ca_file=str(other.path))
    logged = await causes_logged(cfg, caplog)
    assert len(logged) == 1, logged
    assert "cause=TLS verify error: " in logged[0] and "ca_file" in logged[0], logged[0]


async def test_client_certificate_is_accepted(cert_broker: TlsBroker) -> None:
    cert, key = cert_broker.ca.issue(cert_broker.folder, "edge1", "edge1", server=False)
    cfg = MqttConfig(
        url=cert_broker.url(), ca_file=str(cert_broker.ca.path), cert_file=str(cert), key_file=str(key)
    )
    assert await round_trip(cfg) == [b"over tls"]


async def test_missing_client_certificate_is_named(
    cert_broker: TlsBroker, caplog: pytest.LogCaptureFixture
) -> None:
    logged = await causes_logged(MqttConfig(url=cert_broker.url(), ca_file=str(cert_broker.ca.path)), caplog)
    assert len(logged) == 1, logged
    assert "certificate" in logged[0].lower(), logged[0]


async def test_certificate_from_another_ca_is_refused(
    cert_broker: TlsBroker, caplog: pytest.LogCaptureFixture
) -> None:
    rogue = make_ca(cert_broker.folder, "rogue-ca")
    cert, key = rogue.issue(cert_broker.folder, "forged", "edge1", server=False)
    cfg = MqttConfig(
        url=cert_broker.url(), ca_file=str(cert_broker.ca.path), cert_file=str(cert), key_file=str(key)
    )
    logged = await causes_logged(cfg, caplog)
    assert len(logged) == 1 and "unknown ca" in logged[0].lower(), logged


def test_key_without_certificate_is_refused_naming_the_key() -> None:
    cfg = MqttConfig(url="mqtts://127.0.0.1:8883", key_file="edge.key")
    with pytest.raises(ConfigError, match="key_file is set but cert_file is not"):
        MqttConnection(cfg, "x")


def test_unreadable_certificate_names_the_file(tmp_path: Path) -> None:
    cfg = MqttConfig(url="mqtts://127.0.0.1:8883", cert_file=str(tmp_path / "missing.crt"))
    with pytest.raises(ConfigError, match=r"cert_file=.*missing\.crt"):
        MqttConnection(cfg, "x")


def test_cert_files_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZCF_MQTT_CERT_FILE", "/etc/zcf/edge1.crt")
    monkeypatch.setenv("ZCF_MQTT_KEY_FILE", "/etc/zcf/edge1.key")
    cfg = MqttConfig(url="mqtts://broker:8883").with_env()
    assert (cfg.cert_file, cfg.key_file) == ("/etc/zcf/edge1.crt", "/etc/zcf/edge1.key")
