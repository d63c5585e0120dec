"""Wire codec: JSON (UTF-8) via msgspec, with validation that names its cause."""

from __future__ import annotations

import math
import re
import time

import msgspec

from iiot_core.errors import WireError
from iiot_core.model import SCHEMA_VERSION, DeviceStatus, Telemetry

MAX_PAYLOAD_BYTES = 256 * 1024
# A source timestamp further than this from "now" is refused as absurd (clock or unit error).
MAX_FUTURE_MS = 24 * 3600 * 1000
MAX_PAST_MS = 5 * 365 * 24 * 3600 * 1000

# msgspec's answer to a number literal beyond float range (1e999, -1e999, 1 and 400 zeros)
# at a point value: JSON has no infinity, so it is as non-finite as a NaN token.
_OVERFLOW = re.compile(r"^Number out of range - at `(\$\.points\[\d+\]\.value)`$")

_encoder = msgspec.json.Encoder()
_telemetry_decoder = msgspec.json.Decoder(Telemetry)
_status_decoder = msgspec.json.Decoder(DeviceStatus)


def encode(msg: Telemetry | DeviceStatus) -> bytes:
    """Encode a message to its JSON wire form."""
    return _encoder.encode(msg)


def decode_telemetry(payload: bytes | bytearray, now_ms: int | None = None) -> Telemetry:
    """Decode and validate one telemetry payload; raise WireError with a stable cause label."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError("oversize", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        msg = _telemetry_decoder.decode(payload)
    except msgspec.ValidationError as exc:
        if m := _OVERFLOW.match(str(exc)):
            raise WireError("non_finite", f"{m.group(1)}: number beyond float range") from exc
        raise WireError("schema", str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise WireError("malformed_json", str(exc)) from exc
    validate_telemetry(msg, now_ms)
    return msg


def validate_telemetry(msg: Telemetry, now_ms: int | None = None) -> None:
    """Check what the type system cannot: version, finite values, plausible timestamps."""
    if msg.schema != SCHEMA_VERSION:
        raise WireError("unknown_schema", f"schema {msg.schema}, expected {SCHEMA_VERSION}")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    for p in msg.points:
        if not math.isfinite(p.value):
            raise WireError("non_finite", f"point {p.name!r} value {p.value}")
        if p.ts > now + MAX_FUTURE_MS or p.ts < now - MAX_PAST_MS:
            raise WireError("absurd_timestamp", f"point {p.name!r} ts {p.ts}")


def decode_status(payload: bytes | bytearray) -> DeviceStatus:
    """Decode a retained status payload."""
    try:
        return _status_decoder.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise WireError("schema", str(exc)) from exc
