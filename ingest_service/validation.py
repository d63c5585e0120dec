"""Per-message validation: wire schema, plausible values, topic agreeing with the payload.

A failure raises WireError with a stable cause label; ``deadletter_payload`` turns it into
the JSON published on the dead-letter topic.
"""

from __future__ import annotations

import base64
import json
import re

from iiot_core import topics
from iiot_core.codec import decode_telemetry
from iiot_core.errors import WireError
from iiot_core.store import MEASUREMENT_CARBON, MEASUREMENT_TELEMETRY, Record
from iiot_core.store.lineproto import point_name_problem

SERVICE = "ingest"
_MEASUREMENT = {"telemetry": MEASUREMENT_TELEMETRY, "result": MEASUREMENT_CARBON}
_CACHE_LIMIT = 100_000
DEADLETTER_PAYLOAD_MAX = 64 * 1024
# A JSON string (an unterminated one runs to the end), or NaN / Infinity as a token of its
# own, as Python's json.dumps writes them.
_STRING_OR_NON_FINITE = re.compile(
    rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|(?<![\w.])([-+]?Infinity|NaN)(?![\w.])', re.DOTALL
)


class Validator:
    """Decodes and checks messages; caches parsed topics and accepted point names."""

    def __init__(self) -> None:
        self._topics: dict[str, topics.DeviceTopic] = {}
        self._names: set[str] = set()

    def topic(self, topic: str) -> topics.DeviceTopic:
        """The parsed device topic, or WireError ``bad_topic``."""
        dt = self._topics.get(topic)
        if dt is None:
            dt = topics.parse_device_topic(topic)
            if dt is None or dt.kind not in _MEASUREMENT:
                raise WireError("bad_topic", f"not a telemetry or result topic: {topic!r}")
            try:
                for what in ("site", "area", "line", "device"):
                    topics.check_segment(getattr(dt, what), what)
            except ValueError as exc:
                raise WireError("bad_topic", str(exc)) from None
            if len(self._topics) > _CACHE_LIMIT:
                self._topics.clear()
            self._topics[topic] = dt
        return dt

    def check(self, topic: str, payload: bytes, now_ms: int) -> Record:
        """Decode and validate one message into a store record; raise WireError if invalid."""
        dt = self.topic(topic)
        try:
            msg = decode_telemetry(payload, now_ms)
        except WireError as err:
            if err.cause == "malformed_json":
                _raise_if_non_finite(payload)
            raise
        if (msg.site, msg.area, msg.line, msg.device) != (dt.site, dt.area, dt.line, dt.device):
            raise WireError(
                "topic_mismatch",
                f"payload {msg.site}/{msg.area}/{msg.line}/{msg.device} on topic {topic}",
            )
        names = self._names
        for p in msg.points:
            if p.name not in names:
                self._check_name(p.name)
        return _MEASUREMENT[dt.kind], msg

    def _check_name(self, name: str) -> None:
        problem = point_name_problem(name)
        if problem is not None:
            raise WireError("bad_point_name", problem)
        if len(self._names) > _CACHE_LIMIT:
            self._names.clear()
        self._names.add(name)


def _raise_if_non_finite(payload: bytes) -> None:
    """WireError ``non_finite`` if the payload has a NaN or Infinity token outside strings:
    JSON has no such numbers, so the decoder calls them malformed (error path only)."""
    if b"NaN" not in payload and b"Infinity" not in payload:
        return
    for m in _STRING_OR_NON_FINITE.finditer(payload):
        if m.group(1) is not None:
            raise WireError("non_finite", f"{m.group(1).decode()} at byte {m.start(1)}: not a JSON number")


def deadletter_topic(topic: str) -> str:
    """The dead-letter topic of the site the message was sent under (``_unknown`` if unsafe)."""
    parts = topic.split("/")
    site = parts[2] if len(parts) > 2 else ""
    try:
        topics.check_segment(site, "site")
    except ValueError:
        site = "_unknown"
    return topics.deadletter(site, SERVICE)


def deadletter_payload(topic: str, payload: bytes, err: WireError, now_ms: int) -> bytes:
    """JSON: topic, cause, detail, size and the payload as text (base64 if not UTF-8), cut at 64 KiB."""
    doc: dict[str, object] = {
        "service": SERVICE,
        "ts": now_ms,
        "topic": topic,
        "cause": err.cause,
        "detail": err.detail[:1000],
        "size": len(payload),
    }
    if len(payload) > DEADLETTER_PAYLOAD_MAX:
        doc["truncated"] = True
        payload = payload[:DEADLETTER_PAYLOAD_MAX]
    try:
        doc["payload"] = payload.decode("utf-8")
    except UnicodeDecodeError:
        doc["payload_b64"] = base64.b64encode(payload).decode("ascii")
    return json.dumps(doc, ensure_ascii=False).encode()
