"""The masking function: URL credentials anywhere in a text, and the secrets a process was given."""

from __future__ import annotations

import logging
import sys

import pytest

from iiot_core import masking
from iiot_core.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("got 'mqtt://edge:Pw-1a@10.0.0.5:99999'", "got 'mqtt://***@10.0.0.5:99999'"),
        ("mqtts://edge:Pw-1a@h and ssl://x:y@h2:8883", "mqtts://***@h and ssl://***@h2:8883"),
        ("influxdb-v1://reader:Pw-2b@db:8086/zcf?rp=a", "influxdb-v1://***@db:8086/zcf?rp=a"),
        (
            "store influxdb-v2://Tok3n-xyz@db:8086/org/bucket down",
            "store influxdb-v2://***@db:8086/org/bucket down",
        ),
        ("http://127.0.0.1:8086/query has no credentials", "http://127.0.0.1:8086/query has no credentials"),
    ],
)
def test_url_credentials_are_hidden_wherever_the_url_is_quoted(text: str, shown: str) -> None:
    assert masking.mask(text) == shown


def test_secrets_read_from_a_config_or_the_environment_are_hidden_everywhere() -> None:
    masking.remember_config(
        {"mqtt": {"password": "File-Pw-31", "url": "mqtt://u:Url-Pw-32@h", "key_file": "/etc/zcf/k.pem"}}
    )
    masking.remember_env(
        {"ZCF_MQTT_PASSWORD": "Env-Pw-33", "ZCF_API_TOKENS": "a:b,Entry-34", "HOME": "Not-35"}
    )
    text = masking.mask("File-Pw-31 Url-Pw-32 Env-Pw-33 Entry-34 /etc/zcf/k.pem Not-35 File-Pw%2D31")
    assert text == "*** *** *** *** /etc/zcf/k.pem Not-35 File-Pw%2D31"
    assert ConfigError(["edge.toml: mqtt.url: cannot use 'Url-Pw-32'"]).problems == [
        "edge.toml: mqtt.url: cannot use '***'"
    ]


def test_a_user_name_alone_is_not_taken_for_a_secret() -> None:
    masking.remember_url("mqtt://plainuser@h:1883")
    assert masking.mask("client zcf-plainuser-1") == "client zcf-plainuser-1"


def test_the_log_formatter_masks_message_arguments_and_tracebacks() -> None:
    masking.remember("Log-Pw-41")
    try:
        raise ValueError("bad value Log-Pw-41 for mqtt://a:Log-Pw-41@h")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "connect %s", ("Log-Pw-41",), None)
        record.exc_info = sys.exc_info()
    out = masking.MaskingFormatter("%(message)s").format(record)
    assert "Log-Pw-41" not in out and "connect ***" in out and "mqtt://***@h" in out
