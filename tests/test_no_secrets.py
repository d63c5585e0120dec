"""No secret in any message: passwords and tokens fed through every config path and URL form
never appear in stderr, logs, /health or /metrics of any role (``iiot_core/masking.py``).

Refused start-ups (stderr) for ``zcf check``, ``zcf edge``, ``zcf ingest`` and ``zcf engine``;
then the three services running at debug level with secrets in their broker and store URLs,
failing to reach both, so that every error path that could quote a URL runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.roles import EXAMPLE_PLANT, ROOT, start_role
from tests.support.servers import free_port

MQTT_BAD_PORT = "mqtt://edge:S1-check-pw@127.0.0.1:99999"


def _zcf(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZCF_")}
    return subprocess.Popen(
        [sys.executable, "-m", "zcf", *args],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _edge_file(folder: Path, name: str, mqtt: str) -> Path:
    path = folder / name
    path.write_text(
        f'[agent]\nid = "edge1"\nsite = "plant1"\n\n[mqtt]\n{mqtt}\n\n'
        '[[devices]]\nkind = "modbus_tcp"\nname = "m1"\narea = "a"\nline = "l"\nhost = "127.0.0.1"\n'
        'port = 502\npoints = [{ name = "e", register = "input", address = 0, type = "float32" }]\n'
    )
    return path


@pytest.mark.timeout(120)
def test_refused_start_ups_name_the_fault_but_never_the_secret(tmp_path: Path) -> None:
    url_file = _edge_file(tmp_path, "url.toml", f'url = "{MQTT_BAD_PORT}"')
    pw_file = _edge_file(tmp_path, "pw.toml", 'url = "http://127.0.0.1:1883"\npassword = "S2-file-pw"')
    int_file = _edge_file(tmp_path, "int.toml", "password = 87654321")
    plant = ["--plant", str(EXAMPLE_PLANT), "--data-dir", str(tmp_path / "engine"), "--http-port", "-1"]
    store = ["--data-dir", str(tmp_path / "ingest"), "--http-port", "-1"]
    v1 = "influxdb-v1://u:S5-store-pw@127.0.0.1/db?bogus=1"
    v2 = "influxdb-v2://S6-store-token@127.0.0.1/org"
    v2_down = f"influxdb-v2://S9-store-token@127.0.0.1:{free_port()}/o/b"  # nothing listens
    api = ["--http-port", str(free_port())]
    # (secret, arguments, environment, exit code, what the refusal must name)
    cases: list[tuple[str, list[str], dict[str, str], int, str]] = [
        ("S1-check-pw", ["check", str(url_file)], {}, 2, "mqtt.url"),
        ("S1-check-pw", ["edge", "--config", str(url_file)], {}, 2, "mqtt.url"),
        ("S2-file-pw", ["check", str(pw_file)], {}, 2, "mqtt.url"),
        ("87654321", ["edge", "--config", str(int_file), "--check"], {}, 2, "mqtt.password"),
        (
            "S3-env-pw",
            ["ingest", *store],
            {"ZCF_MQTT_URL": "mqtts://u:S3-env-pw@127.0.0.1:99999"},
            2,
            "ZCF_MQTT_URL",
        ),
        (
            "S4-env-pw",
            ["engine", *plant],
            {"ZCF_MQTT_URL": "mqtt://u:S4-env-pw@127.0.0.1:x"},
            2,
            "ZCF_MQTT_URL",
        ),
        ("S5-store-pw", ["ingest", *store, "--store", v1], {}, 2, "bogus"),
        ("S6-store-token", ["ingest", *store, "--store", v2], {}, 2, "bucket"),
        (
            "S7pastedToken",
            ["engine", *plant[:4], *api],
            {"ZCF_API_TOKENS": "zcf_0123abcd_S7pastedToken"},
            2,
            "TOKENS",
        ),
        (
            "S8-env-pw",
            ["ingest", *store],
            {"ZCF_MQTT_PASSWORD": "S8-env-pw", "ZCF_MQTT_PROTOCOL": "9"},
            2,
            "PROTOCOL",
        ),
        ("S9-store-token", ["ingest", *store, "--store", v2_down], {}, 2, "unreachable"),
    ]
    procs = [(c, _zcf(c[1], c[2], tmp_path)) for c in cases]
    for (secret, args, _env, code, names), proc in procs:
        out, err = proc.communicate(timeout=90)
        where = f"zcf {' '.join(args[:1])} ({secret})"
        assert proc.returncode == code, (where, proc.returncode, err)
        assert names in err, (where, err)
        assert secret not in out + err, (where, err)


@pytest.mark.timeout(120)
def test_running_roles_never_show_a_secret_in_logs_health_or_metrics(tmp_path: Path) -> None:
    broker, store = free_port(), free_port()  # nothing listens on either
    wrong_token = "zcf_0badc0de_R5wrongToken"
    secrets = ["R1-edge-pw", "R2-ingest-pw", "R3-engine-pw", "R4-store-pw", wrong_token]
    debug = {"ZCF_LOG_LEVEL": "DEBUG"}
    edge_mqtt = f'url = "mqtt://edge:R1-edge-pw@127.0.0.1:{broker}"\nreconnect_max_s = 1'
    ingest_env = {**debug, "ZCF_MQTT_URL": f"mqtt://127.0.0.1:{broker}"}
    ingest_env |= {"ZCF_MQTT_USERNAME": "ingest", "ZCF_MQTT_PASSWORD": "R2-ingest-pw"}
    engine_env = {**debug, "ZCF_MQTT_URL": f"mqtt://engine:R3-engine-pw@127.0.0.1:{broker}"}
    engine_store = ("--store", f"influxdb-v1://reader:R4-store-pw@127.0.0.1:{store}/zcf")
    roles = [
        start_role("edge", tmp_path / "edge", debug, mqtt_toml=edge_mqtt),
        start_role("ingest", tmp_path / "ingest", ingest_env),
        start_role("engine", tmp_path / "engine", engine_env, extra=engine_store),
    ]
    try:
        seen: dict[str, str] = {}
        for role in roles:
            body = role.wait_health(lambda b: b.get("mqtt_last_cause") is not None)
            if role.kind == "engine":
                assert body["store"] == "unavailable", body  # the store check failed and was logged
                url = f"http://127.0.0.1:{role.http_port}/api/v1/live"
                wrong = {"Authorization": f"Bearer {wrong_token}"}
                assert httpx.get(url, headers=wrong, timeout=5).status_code == 401
            seen[role.kind] = f"{body}\n{role.metrics()}"
    finally:
        for role in roles:
            role.stop()
    for role in roles:
        text = seen[role.kind] + role.log
        assert "DEBUG" in role.log, role.kind  # the most talkative level ran
        leaked = [s for s in secrets if s in text]
        assert not leaked, (role.kind, leaked)
