"""``ZCF_*`` environment variables as pydantic-settings models, built at start-up only.

Precedence, for every role: command line > environment > config file > default. A model
here holds only what the environment may set (every field optional), so that a caller can
lay it over the file's values; ``from_env`` builds one with the command line on top and
turns a bad value into a ConfigError that names the variable (or the flag) at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from iiot_core.config_errors import format_settings
from iiot_core.errors import ConfigError
from iiot_core.masking import remember_env

S = TypeVar("S", bound=BaseSettings)


def _check_mqtt_url(v: str) -> str:
    parts = urlsplit(v)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError("scheme must be mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError("URL has no host")
    _ = parts.port  # raises ValueError on a bad port
    return v


def _digits_to_int(v: Any) -> Any:
    # The environment gives strings; a Literal[5, 4] takes only ints.
    return int(v) if isinstance(v, str) and v.strip().isdigit() else v


MqttUrl = Annotated[str, AfterValidator(_check_mqtt_url)]
MqttProtocol = Annotated[Literal[5, 4], BeforeValidator(_digits_to_int)]
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
]


class MqttEnv(BaseSettings):
    """``ZCF_MQTT_URL``, ``_USERNAME``, ``_PASSWORD``, ``_CA_FILE``, ``_CERT_FILE``, ``_KEY_FILE``,
    ``_CLIENT_ID``, ``_PROTOCOL`` (5|4)."""

    model_config = SettingsConfigDict(env_prefix="ZCF_MQTT_", frozen=True)

    url: MqttUrl | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    client_id: str | None = None
    protocol: MqttProtocol | None = None


class CoreEnv(BaseSettings):
    """``ZCF_STORE_URL`` (ingest's target, the engine's history) and ``ZCF_LOG_LEVEL``."""

    model_config = SettingsConfigDict(env_prefix="ZCF_", frozen=True)

    store_url: str | None = None
    log_level: LogLevel | None = None


def from_env(cls: type[S], flags: Mapping[str, str] | None = None, **given: Any) -> S:
    """Build ``cls`` now: ``given`` values (the command line; None = not given) over its variables.

    ``flags`` maps a field to the option that sets it, to name it in an error.
    """
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    remember_env()  # a secret set in the environment is masked in every message from now on
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))

        def name(field: str) -> str:
            if field in overrides:
                return (flags or {}).get(field, "--" + field.replace("_", "-"))
            return f"{prefix}{field}".upper()

        raise ConfigError(format_settings(exc, name)) from exc
