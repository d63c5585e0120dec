from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iiot_core import codec
from iiot_core.errors import WireError
from iiot_core.model import SCHEMA_VERSION, Point, Quality, Telemetry

NOW = 1_764_000_000_000


def _msg(**over: object) -> Telemetry:
    base = dict(
        schema=SCHEMA_VERSION,
        site="s",
        area="a",
        line="l",
        device="d",
        seq=1,
        ts=NOW,
        points=[Point("p", 1.5, NOW, "kW", Quality.GOOD)],
    )
    base.update(over)
    return Telemetry(**base)  # type: ignore[arg-type]


@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    seq=st.integers(0, 2**53),
    quality=st.sampled_from(list(Quality)),
)
def test_roundtrip(value: float, seq: int, quality: Quality) -> None:
    msg = _msg(seq=seq, points=[Point("x", value, NOW, "kWh", quality)])
    assert codec.decode_telemetry(codec.encode(msg), now_ms=NOW) == msg


@pytest.mark.parametrize(
    ("payload", "cause"),
    [
        (b"{not json", "malformed_json"),
        (b'{"schema":1}', "schema"),
        (codec.encode(_msg(schema=99)), "unknown_schema"),
        (codec.encode(_msg(points=[Point("p", 1.0, NOW + 10**12)])), "absurd_timestamp"),
        (codec.encode(_msg(points=[Point("p", 1.0, 0)])), "absurd_timestamp"),
        (b" " * (codec.MAX_PAYLOAD_BYTES + 1), "oversize"),
    ],
)
def test_bad_payloads_name_their_cause(payload: bytes, cause: str) -> None:
    with pytest.raises(WireError) as err:
        codec.decode_telemetry(payload, now_ms=NOW)
    assert err.value.cause == cause


def test_string_value_is_schema_error() -> None:
    raw = msgspec.json.decode(codec.encode(_msg()))
    raw["points"][0]["value"] = "12"
    with pytest.raises(WireError) as err:
        codec.decode_telemetry(msgspec.json.encode(raw), now_ms=NOW)
    assert err.value.cause == "schema"


def test_nan_is_refused() -> None:
    raw = codec.encode(_msg()).replace(b'"value":1.5', b'"value":NaN')
    with pytest.raises(WireError):
        codec.decode_telemetry(raw, now_ms=NOW)
    msg = _msg(points=[Point("p", float("inf"), NOW)])
    with pytest.raises(WireError) as err:
        codec.validate_telemetry(msg, now_ms=NOW)
    assert err.value.cause == "non_finite"
