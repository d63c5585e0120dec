"""MQTT connection settings, shared by every service, with ``ZCF_MQTT_*`` overrides."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from iiot_core.settings import MqttEnv, MqttProtocol, MqttUrl, from_env


class MqttConfig(BaseModel):
    """Where and how to reach the broker. ``url`` is ``mqtt://[user:pass@]host[:port]`` or mqtts://."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: MqttUrl = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    # Client certificate (PEM) and its key, for a broker with ``require_certificate true``;
    # with ``use_identity_as_username`` the certificate's CN is the ACL user.
    cert_file: str | None = None
    key_file: str | None = None
    tls_insecure: bool = False
    client_id: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    protocol: MqttProtocol = 5
    reconnect_min_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme in ("mqtts", "ssl")

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)

    @property
    def credentials(self) -> tuple[str | None, str | None]:
        """Username and password, from the fields or else from the URL."""
        parts = urlsplit(self.url)
        user = self.username or (unquote(parts.username) if parts.username else None)
        pw = self.password or (unquote(parts.password) if parts.password else None)
        return user, pw

    def tls_problem(self) -> str | None:
        """What is inconsistent in the TLS keys (named as in the config), or None."""
        if self.key_file and not self.cert_file:
            return "key_file is set but cert_file is not (ZCF_MQTT_CERT_FILE)"
        if self.cert_file and not self.tls:
            return f"cert_file needs an mqtts:// url, got scheme {urlsplit(self.url).scheme}://"
        return None

    def with_env(self) -> MqttConfig:
        """This config with the ``ZCF_MQTT_*`` variables set laid over it (see ``MqttEnv``)."""
        updates = from_env(MqttEnv).model_dump(exclude_none=True)
        return self.model_copy(update=updates) if updates else self

    def with_client_id(self, client_id: str | None) -> MqttConfig:
        """This config with a client id given on the command line (it wins over the environment)."""
        return self.model_copy(update={"client_id": client_id}) if client_id else self
