"""Config validation: every fault is one line naming file, key path and problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent import config
from iiot_core.errors import ConfigError
from tests.support.edge import EXAMPLE
from zcf import cli

HEAD = """
[agent]
id = "edge1"
site = "plant1"
"""

DEVICE = """
[[devices]]
kind = "{kind}"
name = "{name}"
area = "utilities"
line = "incomer"
host = "127.0.0.1"
points = [{{ name = "p", register = "input", address = 0, type = "{type}", order = "{order}" }}]
"""


def _write(tmp_path: Path, *devices: dict[str, str], head: str = HEAD) -> Path:
    body = head + "".join(
        DEVICE.format(**{"kind": "modbus_tcp", "name": "m", "type": "float32", "order": "ABCD", **d})
        for d in devices
    )
    path = tmp_path / "edge.toml"
    path.write_text(body)
    return path


def test_example_config_loads() -> None:
    cfg = config.load(EXAMPLE)
    assert [d.name for d in cfg.devices] == [
        "main-meter", "line1-meter", "pv-inverter", "line2-meter", "line1-plc", "line2-plc",
    ]  # fmt: skip
    assert cfg.mqtt.url == "mqtt://127.0.0.1:1883"
    assert config.check(EXAMPLE) == []


def test_env_overrides_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZCF_MQTT_URL", "mqtt://127.0.0.1:1999")
    assert config.load(EXAMPLE).mqtt.port == 1999


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ({"kind": "modbus_udp"}, "devices[0](m).kind: unknown device kind"),
        ({"type": "float33"}, "devices[0](m).points[0](p).type: Input should be 'bool'"),
        ({"order": "ABDC"}, "devices[0](m).points[0](p).order: Input should be 'ABCD'"),
        ({"name": "main meter"}, "devices[0](main meter).name: device name 'main meter' must match"),
    ],
)
def test_bad_device_names_the_key(tmp_path: Path, device: dict[str, str], expected: str) -> None:
    path = _write(tmp_path, device)
    problems = config.check(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: {expected}"), problems


def test_duplicate_device(tmp_path: Path) -> None:
    path = _write(tmp_path, {"name": "a"}, {"name": "b"}, {"name": "a"})
    assert config.check(path) == [f"{path}: devices: duplicate device name 'a' (devices[0] and devices[2])"]


def test_missing_key(tmp_path: Path) -> None:
    path = _write(tmp_path, {}, head='[agent]\nid = "edge1"\n')
    assert config.check(path) == [f"{path}: agent.site: missing key (required)"]


def test_unknown_key_and_opcua_rules(tmp_path: Path) -> None:
    path = tmp_path / "edge.toml"
    path.write_text(
        HEAD
        + """
[[devices]]
kind = "opcua"
name = "plc"
area = "a"
line = "l"
endpoint = "opc.tcp://127.0.0.1:4840"
security_policy = "Basic256Sha256"
colour = "red"
points = [{ name = "x", node_id = "Line1.State" }]
"""
    )
    problems = config.check(path)
    assert f"{path}: devices[0](plc).colour: unknown key (not allowed here) (got 'red')" in problems
    assert any("devices[0](plc).points[0](x).node_id: node_id must look like" in p for p in problems)
    assert len(problems) == 2  # the security pair is checked once the fields are valid


def test_load_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "missing.toml")
    assert info.value.problems == [f"{tmp_path / 'missing.toml'}: file not found"]


def test_cli_refuses_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, {"type": "float33"}, {"order": "XX", "name": "n"})
    assert cli.main(["edge", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert all(line.startswith(f"{path}: devices[") for line in err)
    assert "Traceback" not in "".join(err)


def test_cli_subprocess_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, {"kind": "modbus_udp"})
    proc = subprocess.run(
        [sys.executable, "-m", "zcf.cli", "edge", "--config", str(path)],
        capture_output=True, text=True, timeout=30, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"{path}: devices[0](m).kind: unknown device kind (expected one of modbus_tcp, "
        "modbus_rtu_tcp, modbus_rtu_serial, opcua) (got 'modbus_udp')"
    )
