"""mqtts:// with a CA file and username/password against a real Mosquitto TLS listener."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from iiot_core.errors import PublishError
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from tests.iiot_core.tls_certs import make_ca_and_server
from tests.support.servers import free_port, wait_port


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """Mosquitto with only a TLS listener and one user ``edge`` / ``s3cret``."""
    ca, cert, key = make_ca_and_server(tmp_path)
    passwd = tmp_path / "passwd"
    mosquitto_passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    subprocess.run([mosquitto_passwd, "-b", "-c", str(passwd), "edge", "s3cret"], check=True)
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
        f"allow_anonymous false\npassword_file {passwd}\nlog_dest none\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    proc = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)])
    try:
        wait_port(port)
        yield port, ca
    finally:
        proc.terminate()
        proc.wait(5)


async def test_mqtts_with_ca_and_password(tls_broker: tuple[int, Path]) -> None:
    port, ca = tls_broker
    got: list[bytes] = []
    cfg = MqttConfig(url=f"mqtts://edge:s3cret@127.0.0.1:{port}", ca_file=str(ca))
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
    assert got == [b"over tls"]
    await conn.stop()


async def test_mqtts_wrong_password_is_refused(tls_broker: tuple[int, Path]) -> None:
    port, ca = tls_broker
    cfg = MqttConfig(url=f"mqtts://127.0.0.1:{port}", username="edge", password="wrong", ca_file=str(ca))
    conn = MqttConnection(cfg, "tls-bad")
    await conn.start()
    with pytest.raises(PublishError, match=f"no MQTT session with 127.0.0.1:{port}"):
        await conn.wait_connected(2)
    await conn.stop()
