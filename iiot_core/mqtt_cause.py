"""Why an MQTT connection is down, told once per outage on the client.

paho retries by itself and keeps the reason to itself: a connect attempt that raises
reaches ``on_connect_fail`` without its exception, and a TLS alert sent after the handshake
(TLS 1.3 refusing a missing client certificate) shows only in its log callback. This module
collects both, and CONNACK refusals, into one cause with a hint of what to check.
"""

from __future__ import annotations

import logging
import socket
import ssl
from typing import Any

import paho.mqtt.client as paho

log = logging.getLogger("iiot_core.mqtt")

_HINTS = {
    # Mosquitto 2 answers a wrong password with this one too.
    "Not authorized": "check the username and password, or the client certificate's CN",
    "Bad user name or password": "check the username and password (ZCF_MQTT_USERNAME/_PASSWORD)",
}


class CauseClient(paho.Client):
    """paho's client, remembering why its last connect attempt raised."""

    last_connect_error: OSError | None = None

    def reconnect(self) -> paho.MQTTErrorCode:
        try:
            return super().reconnect()
        except OSError as exc:
            self.last_connect_error = exc
            raise


def describe(exc: BaseException | None) -> str:
    """A connect exception as a cause a plant IT engineer can act on."""
    if exc is None:
        return "connect failed (no detail from paho)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS verify error: {exc.verify_message} (check ca_file / ZCF_MQTT_CA_FILE and the host name)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens on that port?)"
    if isinstance(exc, socket.gaierror):
        return f"host name not resolved: {exc}"
    return f"{type(exc).__name__}: {exc}"


def refusal(reason: Any) -> str:
    """A failed CONNACK reason code as a cause."""
    hint = _HINTS.get(str(reason))
    return f"refused: {reason}" + (f" ({hint})" if hint else "")


class OutageLog:
    """The cause of the current outage: logged as a warning once, again only when it changes."""

    def __init__(self, broker: str) -> None:
        self.broker = broker
        self.last_cause: str | None = None  # kept after reconnecting: health may show it
        self._told: str | None = None

    def failed(self, cause: str) -> None:
        self.last_cause = cause
        if cause == self._told:
            log.debug("MQTT still cannot connect broker=%s cause=%s", self.broker, cause)
            return
        self._told = cause
        log.warning("MQTT cannot connect broker=%s cause=%s", self.broker, cause)

    def connected(self) -> None:
        self._told = None
