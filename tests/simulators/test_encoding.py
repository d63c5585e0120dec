"""The reference register encoder: known vectors, range errors, and a cross-check with pymodbus."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymodbus.client import AsyncModbusTcpClient as Client

from simulators.encoding import decode_words, encode_value

ORDERS = ("ABCD", "DCBA", "BADC", "CDAB")


@pytest.mark.parametrize(
    ("order", "words"),
    [
        ("ABCD", [0x3F80, 0x0000]),
        ("CDAB", [0x0000, 0x3F80]),
        ("BADC", [0x803F, 0x0000]),
        ("DCBA", [0x0000, 0x803F]),
    ],
)
def test_float32_one(order: str, words: list[int]) -> None:
    assert encode_value(1.0, "float32", order) == words  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("order", "words"),
    [
        ("ABCD", [0x0102, 0x0304]),
        ("CDAB", [0x0304, 0x0102]),
        ("BADC", [0x0201, 0x0403]),
        ("DCBA", [0x0403, 0x0201]),
    ],
)
def test_uint32_vectors(order: str, words: list[int]) -> None:
    assert encode_value(0x01020304, "uint32", order) == words  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("order", "words"),
    [
        ("ABCD", [0x0102, 0x0304, 0x0506, 0x0708]),
        ("CDAB", [0x0708, 0x0506, 0x0304, 0x0102]),
        ("BADC", [0x0201, 0x0403, 0x0605, 0x0807]),
        ("DCBA", [0x0807, 0x0605, 0x0403, 0x0201]),
    ],
)
def test_uint64_vectors(order: str, words: list[int]) -> None:
    assert encode_value(0x0102030405060708, "uint64", order) == words  # type: ignore[arg-type]


def test_16_bit_and_bool() -> None:
    assert encode_value(-1, "int16", "ABCD") == [0xFFFF]
    assert encode_value(0x1234, "uint16", "CDAB") == [0x1234]
    assert encode_value(0x1234, "uint16", "BADC") == [0x3412]
    assert encode_value(0x1234, "uint16", "DCBA") == [0x3412]
    assert encode_value(True, "bool", "ABCD") == [1]
    assert encode_value(0.0, "bool", "DCBA") == [0]


def test_float64_and_signed() -> None:
    assert encode_value(1.0, "float64", "ABCD") == [0x3FF0, 0, 0, 0]
    assert encode_value(1.0, "float64", "CDAB") == [0, 0, 0, 0x3FF0]
    assert encode_value(-2, "int32", "ABCD") == [0xFFFF, 0xFFFE]
    assert encode_value(-2, "int64", "DCBA") == [0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF]


def test_integers_are_rounded() -> None:
    assert encode_value(2.6, "int16", "ABCD") == [3]
    assert encode_value(-2.6, "int16", "ABCD") == [0xFFFD]


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (32768, "int16"),
        (-32769, "int16"),
        (-1, "uint16"),
        (65536, "uint16"),
        (2**31, "int32"),
        (2**32, "uint32"),
        (-1, "uint32"),
        (2**63, "int64"),
        (2**64, "uint64"),
        (-0.6, "uint16"),
        (1e39, "float32"),
        (math.nan, "int32"),
        (math.inf, "uint64"),
    ],
)
def test_range_errors(value: float, dtype: str) -> None:
    with pytest.raises(ValueError):
        encode_value(value, dtype, "ABCD")  # type: ignore[arg-type]


def test_limits_fit() -> None:
    assert encode_value(2**32 - 1, "uint32", "ABCD") == [0xFFFF, 0xFFFF]
    assert encode_value(-(2**15), "int16", "ABCD") == [0x8000]


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1), st.sampled_from(ORDERS))
def test_int32_round_trip(value: int, order: str) -> None:
    words = encode_value(value, "int32", order)  # type: ignore[arg-type]
    assert decode_words(words, "int32", order) == value  # type: ignore[arg-type]


@given(st.floats(width=32, allow_nan=False), st.sampled_from(ORDERS))
def test_float32_round_trip_struct(value: float, order: str) -> None:
    words = encode_value(value, "float32", order)  # type: ignore[arg-type]
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    fixed = {
        "ABCD": raw,
        "DCBA": raw[::-1],
        "CDAB": raw[2:] + raw[:2],
        "BADC": bytes([raw[1], raw[0], raw[3], raw[2]]),
    }[order]
    assert struct.unpack(">f", fixed)[0] == value


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_matches_pymodbus_word_orders(value: int) -> None:
    big = encode_value(value, "uint64", "ABCD")
    little = encode_value(value, "uint64", "CDAB")
    dt = Client.DATATYPE.UINT64
    assert Client.convert_from_registers(big, dt, word_order="big") == value
    assert Client.convert_from_registers(little, dt, word_order="little") == value
