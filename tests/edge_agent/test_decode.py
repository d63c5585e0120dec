"""Decoding against the simulators' reference encoder, for every data type and byte order."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.decode import WordDecoder, decode_bit, decode_words, words_to_bytes
from simulators.encoding import encode_value

ORDERS = ["ABCD", "DCBA", "BADC", "CDAB"]
INT_RANGES = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}


@pytest.mark.parametrize("dtype", sorted(INT_RANGES))
@pytest.mark.parametrize("order", ORDERS)
@given(data=st.data())
def test_integers_round_trip(dtype: str, order: str, data: st.DataObject) -> None:
    lo, hi = INT_RANGES[dtype]
    v = data.draw(st.integers(lo, hi))
    words = encode_value(v, dtype, order)  # type: ignore[arg-type]
    # float() of a 64-bit integer rounds, exactly as the decoder's float result does.
    assert decode_words(words, dtype, order) == float(v)  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ORDERS)
@given(v=st.floats(width=32, allow_nan=False))
def test_float32_round_trip(order: str, v: float) -> None:
    assert decode_words(encode_value(v, "float32", order), "float32", order) == v  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ORDERS)
@given(v=st.floats(allow_nan=False))
def test_float64_round_trip(order: str, v: float) -> None:
    assert decode_words(encode_value(v, "float64", order), "float64", order) == v  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ORDERS)
def test_nan_decodes_as_nan(order: str) -> None:
    # The decoder reports NaN faithfully; the driver is what keeps it off the wire.
    assert math.isnan(decode_words(encode_value(math.nan, "float32", order), "float32", order))  # type: ignore[arg-type]


@given(v=st.booleans())
def test_bool_register(v: bool) -> None:
    assert decode_words(encode_value(v, "bool"), "bool") == float(v)


@given(
    raw=st.integers(-(2**31), 2**31 - 1), scale=st.sampled_from([0.001, 0.1, 10.0]), off=st.floats(-100, 100)
)
def test_scale_and_offset(raw: int, scale: float, off: float) -> None:
    words = encode_value(raw, "int32", "CDAB")
    assert decode_words(words, "int32", "CDAB", scale, off) == pytest.approx(raw * scale + off)


def test_offsets_inside_a_merged_read() -> None:
    words = [0, 0, *encode_value(1234.5, "float32", "ABCD"), 7, *encode_value(-3, "int16")]
    buf = words_to_bytes(words)
    assert WordDecoder("float32", "ABCD").value(buf, 2) == 1234.5
    assert WordDecoder("uint16", "ABCD").value(buf, 4) == 7.0
    assert WordDecoder("int16", "ABCD", scale=0.5).value(buf, 5) == -1.5


def test_known_layouts() -> None:
    # 0x12345678 as ABCD / CDAB / BADC / DCBA words.
    assert decode_words([0x1234, 0x5678], "uint32", "ABCD") == 0x12345678
    assert decode_words([0x5678, 0x1234], "uint32", "CDAB") == 0x12345678
    assert decode_words([0x3412, 0x7856], "uint32", "BADC") == 0x12345678
    assert decode_words([0x7856, 0x3412], "uint32", "DCBA") == 0x12345678


def test_bits() -> None:
    assert decode_bit([False, True, False], 1) == 1.0
    assert decode_bit([False, True, False], 2, scale=5.0, offset=1.0) == 1.0
