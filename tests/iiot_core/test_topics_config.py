from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from iiot_core import topics
from iiot_core.config_loader import load_toml
from iiot_core.errors import ConfigError
from iiot_core.mqtt_config import MqttConfig


def test_topics_roundtrip() -> None:
    t = topics.telemetry("plant1", "assembly", "line1", "meter")
    assert t == "zcf/v1/plant1/assembly/line1/meter/telemetry"
    parsed = topics.parse_device_topic(t)
    assert parsed == topics.DeviceTopic("plant1", "assembly", "line1", "meter", "telemetry")
    assert topics.parse_device_topic("zcf/v1/x/_edge/agent/status") is None
    assert topics.parse_agent_status(topics.agent_status("p", "edge-1")) == ("p", "edge-1")


def test_bad_segment_named() -> None:
    with pytest.raises(ValueError, match="device 'a/b'"):
        topics.check_segment("a/b", "device")


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mqtt: MqttConfig


def test_config_error_names_file_and_key(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text('[mqtt]\nurl = "http://h"\nkeepalive_s = 1\nbogus = 2\n')
    with pytest.raises(ConfigError) as err:
        load_toml(_Cfg, f)
    text = str(err.value)
    assert f"{f}: mqtt.url:" in text and "mqtt://" in text
    assert f"{f}: mqtt.keepalive_s:" in text and "(got 1)" in text
    assert f"{f}: mqtt.bogus: unknown key (not allowed here) (got 2)" in text


def test_toml_syntax_error(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text("[mqtt\n")
    with pytest.raises(ConfigError, match="TOML syntax error"):
        load_toml(_Cfg, f)


def test_mqtt_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZCF_MQTT_URL", "mqtts://u:p%40ss@broker.example:8884")
    cfg = MqttConfig().with_env()
    assert (cfg.host, cfg.port, cfg.tls, cfg.credentials) == ("broker.example", 8884, True, ("u", "p@ss"))


def test_mqtt_env_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZCF_MQTT_PROTOCOL", "x")
    monkeypatch.setenv("ZCF_MQTT_URL", "http://broker")
    with pytest.raises(ConfigError) as err:
        MqttConfig().with_env()
    assert err.value.problems == [
        "ZCF_MQTT_URL: scheme must be mqtt:// or mqtts:// (got 'http://broker')",
        "ZCF_MQTT_PROTOCOL: Input should be 5 or 4 (got 'x')",
    ]


def test_environment_wins_over_file_and_file_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "x.toml"
    f.write_text('[mqtt]\nurl = "mqtt://file-broker:1884"\nprotocol = 4\nclient_id = "from-file"\n')
    monkeypatch.setenv("ZCF_MQTT_CLIENT_ID", "from-env")
    cfg = load_toml(_Cfg, f).mqtt.with_env()
    assert (cfg.host, cfg.port, cfg.protocol, cfg.client_id) == ("file-broker", 1884, 4, "from-env")
    assert cfg.keepalive_s == MqttConfig().keepalive_s  # neither file nor environment: the default
    assert cfg.with_client_id("from-cli").client_id == "from-cli"
