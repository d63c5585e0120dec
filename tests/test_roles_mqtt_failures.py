"""Every role names why it cannot reach the broker: logged once per outage, shown in /health.

Against a real Mosquitto with only a TLS listener (user ``edge`` / ``s3cret``): a wrong password,
a CA that did not sign the broker's certificate, and a port where nothing listens. The edge
agent takes its broker from its config file, ingest and the engine from ``ZCF_MQTT_*``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.iiot_core.test_mqtt_tls import TlsBroker, password_file, tls_mosquitto
from tests.iiot_core.tls_certs import make_ca
from tests.support.roles import ROLES, RoleProc, start_role
from tests.support.servers import free_port

CANNOT = "MQTT cannot connect"


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[TlsBroker]:
    with tls_mosquitto(tmp_path, f"password_file {password_file(tmp_path, 'edge', 's3cret')}\n") as b:
        yield b


def _start(kind: str, folder: Path, url: str, ca: Path | None, user: str, password: str) -> RoleProc:
    if kind == "edge":
        lines = [f'url = "{url}"', f'username = "{user}"', f'password = "{password}"']
        lines += [f'ca_file = "{ca}"'] if ca else []
        lines += ["reconnect_max_s = 1"]
        return start_role(kind, folder, {}, mqtt_toml="\n".join(lines))
    env = {"ZCF_MQTT_URL": url, "ZCF_MQTT_USERNAME": user, "ZCF_MQTT_PASSWORD": password}
    if ca:
        env["ZCF_MQTT_CA_FILE"] = str(ca)
    return start_role(kind, folder, env)


def _each_role(folder: Path, url: str, ca: Path | None, password: str, expect: str) -> None:
    procs = [_start(k, folder / k, url, ca, "edge", password) for k in ROLES]
    try:
        for p in procs:
            body = p.wait_health(lambda b: b.get("mqtt_last_cause") is not None)
            assert body["mqtt_connected"] is False and body["status"] == "degraded", body
            assert expect in body["mqtt_last_cause"], (p.kind, body)
        time.sleep(3.5)  # paho retries every second or two: the same cause is not logged again
        for p in procs:
            told = [line for line in p.log.splitlines() if CANNOT in line]
            assert len(told) == 1, (p.kind, told)
            assert f"cause={p.health()['mqtt_last_cause']}" in told[0]  # type: ignore[index]
            assert expect in told[0], (p.kind, told)
            assert password not in p.log, p.kind
    finally:
        for p in procs:
            p.stop()


@pytest.mark.timeout(120)
def test_a_wrong_password_is_named_by_every_role(tmp_path: Path, tls_broker: TlsBroker) -> None:
    _each_role(tmp_path, tls_broker.url(), tls_broker.ca.path, "Wrong-Pw-7781", "refused: ")


@pytest.mark.timeout(120)
def test_a_wrong_ca_is_named_by_every_role(tmp_path: Path, tls_broker: TlsBroker) -> None:
    other = make_ca(tmp_path, "other-ca")
    _each_role(tmp_path, tls_broker.url(), other.path, "s3cret", "TLS verify error: ")


@pytest.mark.timeout(120)
def test_a_refused_connection_is_named_by_every_role(tmp_path: Path) -> None:
    _each_role(tmp_path, f"mqtt://127.0.0.1:{free_port()}", None, "s3cret", "connection refused")
