"""Encode an engineering value into 16-bit Modbus register words.

This is the reference encoder the edge agent's decoder is tested against, so it is kept
struct-based and literal. Byte orders name the bytes of the big-endian value, A first:

- ABCD: words and bytes big-endian (Modbus default).
- CDAB: word order reversed, bytes in each word big-endian ("little-endian word order").
- BADC: word order big-endian, the two bytes of every word swapped.
- DCBA: fully little-endian (word order reversed and bytes swapped).

For 64-bit values the same rule applies to four words: CDAB reverses all four words.
"""

from __future__ import annotations

import math
import struct

from iiot_core.registers import STRUCT_FORMAT, ByteOrder, DataType

_INT_RANGE: dict[str, tuple[int, int]] = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}


def _big_endian_bytes(value: float, dtype: DataType) -> bytes:
    fmt = STRUCT_FORMAT.get(dtype)
    if fmt is None:
        raise ValueError(f"unknown data type {dtype!r}")
    if dtype in _INT_RANGE:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be encoded as {dtype}")
        lo, hi = _INT_RANGE[dtype]
        number = round(value)
        if not lo <= number <= hi:
            raise ValueError(f"{value!r} is out of range for {dtype} [{lo}, {hi}]")
        return struct.pack(">" + fmt, number)
    try:
        return struct.pack(">" + fmt, float(value))
    except OverflowError as exc:
        raise ValueError(f"{value!r} is out of range for {dtype}") from exc


def _reorder(data: bytes, order: ByteOrder) -> bytes:
    if order == "ABCD":
        return data
    if order == "DCBA":
        return data[::-1]
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    if order == "CDAB":
        return b"".join(reversed(words))
    if order == "BADC":
        return b"".join(w[::-1] for w in words)
    raise ValueError(f"unknown byte order {order!r}")


def encode_value(value: float, dtype: DataType, order: ByteOrder = "ABCD") -> list[int]:
    """Register words for ``value`` as ``dtype`` in ``order``; ValueError if it does not fit.

    Integers are rounded to the nearest integer first; ``bool`` is one word, 0 or 1.
    """
    if dtype == "bool":
        return [1 if value else 0]
    data = _reorder(_big_endian_bytes(value, dtype), order)
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def decode_words(words: list[int], dtype: DataType, order: ByteOrder = "ABCD") -> float:
    """Inverse of :func:`encode_value` (for tests and tooling, not the edge hot path)."""
    if dtype == "bool":
        return 1.0 if words[0] else 0.0
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    # Every reordering is its own inverse, so applying it again restores big-endian bytes.
    (number,) = struct.unpack(">" + STRUCT_FORMAT[dtype], _reorder(raw, order))
    return float(number)
