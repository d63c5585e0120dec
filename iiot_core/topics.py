"""The topic namespace: the only place MQTT topics are built or parsed.

Layout (ISA-95 style, versioned)::

    zcf/v1/{site}/{area}/{line}/{device}/telemetry   one message per device poll (QoS 1)
    zcf/v1/{site}/{area}/{line}/{device}/status      retained online/offline of a device
    zcf/v1/{site}/_edge/{agent}/status               retained online/offline of an edge agent (last will)
    zcf/v1/{site}/{area}/{line}/{series}/result      carbon engine results (telemetry schema)
    zcf/v1/{site}/_alerts/{alert_id}                 alert state (JSON, retained)
    zcf/v1/{site}/_deadletter/{service}              invalid messages (ingest), readings not booked (engine)
    zcf/v1/{site}/_engine/lease                      retained: which carbon engine publishes (hot standby)

Roll-up nodes of the engine use ``_all`` for the levels they aggregate over; ``{series}`` is
the result payload's device, e.g. ``carbon-1m``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "zcf/v1"
ALL = "_all"
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")

TELEMETRY_FILTER = f"{ROOT}/+/+/+/+/telemetry"
RESULT_FILTER = f"{ROOT}/+/+/+/+/result"
DEVICE_STATUS_FILTER = f"{ROOT}/+/+/+/+/status"
AGENT_STATUS_FILTER = f"{ROOT}/+/_edge/+/status"
ALERT_FILTER = f"{ROOT}/+/_alerts/+"


def check_segment(value: str, what: str) -> str:
    """Return ``value`` if it is a safe topic segment, else raise ValueError naming ``what``."""
    if not _SEGMENT.match(value):
        raise ValueError(f"{what} {value!r} must match [A-Za-z0-9_.-]+ (no spaces, '/', '+', '#')")
    return value


def telemetry(site: str, area: str, line: str, device: str) -> str:
    return f"{ROOT}/{site}/{area}/{line}/{device}/telemetry"


def device_status(site: str, area: str, line: str, device: str) -> str:
    return f"{ROOT}/{site}/{area}/{line}/{device}/status"


def agent_status(site: str, agent: str) -> str:
    return f"{ROOT}/{site}/_edge/{agent}/status"


def result(site: str, area: str, line: str, series: str) -> str:
    return f"{ROOT}/{site}/{area}/{line}/{series}/result"


def alert(site: str, alert_id: str) -> str:
    return f"{ROOT}/{site}/_alerts/{alert_id}"


def deadletter(site: str, service: str) -> str:
    return f"{ROOT}/{site}/_deadletter/{service}"


def engine_lease(site: str) -> str:
    return f"{ROOT}/{site}/_engine/lease"


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    """A parsed device-level topic."""

    site: str
    area: str
    line: str
    device: str
    kind: str  # telemetry | status | result


def parse_device_topic(topic: str) -> DeviceTopic | None:
    """Parse ``zcf/v1/{site}/{area}/{line}/{device}/{kind}``; None if it is not one."""
    parts = topic.split("/")
    if len(parts) != 7 or f"{parts[0]}/{parts[1]}" != ROOT:
        return None
    if parts[6] not in ("telemetry", "status", "result"):
        return None
    return DeviceTopic(parts[2], parts[3], parts[4], parts[5], parts[6])


def parse_agent_status(topic: str) -> tuple[str, str] | None:
    """Parse an agent status topic into (site, agent); None if it is not one."""
    parts = topic.split("/")
    if len(parts) == 6 and parts[3] == "_edge" and parts[5] == "status":
        return parts[2], parts[4]
    return None
