"""Register words -> engineering values: every data type and byte order, then scale and offset.

Byte orders name the bytes of the big-endian value, A first (see iiot_core.registers):
ABCD big-endian; DCBA little-endian; BADC bytes swapped in each word; CDAB words reversed.
A decoder is compiled once per point, so a poll only slices, reorders and unpacks.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iiot_core.registers import REGISTER_COUNT, STRUCT_FORMAT, ByteOrder, DataType


def _swap_bytes(data: bytes) -> bytes:
    out = bytearray(data)
    out[0::2], out[1::2] = data[1::2], data[0::2]
    return bytes(out)


def _reverse_words(data: bytes) -> bytes:
    return b"".join(data[i : i + 2] for i in range(len(data) - 2, -1, -2))


_REORDER: dict[str, Callable[[bytes], bytes]] = {
    "ABCD": lambda b: b,
    "DCBA": lambda b: b[::-1],
    "BADC": _swap_bytes,
    "CDAB": _reverse_words,
}


def words_to_bytes(words: Sequence[int]) -> bytes:
    """Big-endian bytes of a run of 16-bit register words, as they came off the wire."""
    return struct.pack(f">{len(words)}H", *words)


@dataclass(frozen=True, slots=True)
class WordDecoder:
    """Decodes one value of ``dtype`` in ``order`` from a byte buffer of register words."""

    dtype: DataType
    order: ByteOrder
    scale: float = 1.0
    offset: float = 0.0

    @property
    def words(self) -> int:
        return REGISTER_COUNT[self.dtype]

    def raw(self, buf: bytes, word_offset: int = 0) -> float:
        """The unscaled number stored at ``word_offset`` (in words) of ``buf``."""
        start = word_offset * 2
        if self.dtype == "bool":
            return 1.0 if buf[start] or buf[start + 1] else 0.0
        data = _REORDER[self.order](buf[start : start + self.words * 2])
        (number,) = struct.unpack(">" + STRUCT_FORMAT[self.dtype], data)
        return float(number)

    def value(self, buf: bytes, word_offset: int = 0) -> float:
        """The engineering value: raw * scale + offset."""
        return self.raw(buf, word_offset) * self.scale + self.offset


def decode_words(
    words: Sequence[int],
    dtype: DataType,
    order: ByteOrder = "ABCD",
    scale: float = 1.0,
    offset: float = 0.0,
) -> float:
    """Decode one value from its register words (convenience for tests and tools)."""
    return WordDecoder(dtype, order, scale, offset).value(words_to_bytes(words))


def decode_bit(bits: Sequence[bool], index: int, scale: float = 1.0, offset: float = 0.0) -> float:
    """A coil or discrete input as 0.0/1.0, then scale and offset."""
    return (1.0 if bits[index] else 0.0) * scale + offset
