"""Vocabulary of Modbus register layouts, shared by the simulators' encoder and the edge decoder."""

from __future__ import annotations

from typing import Literal

RegisterKind = Literal["coil", "discrete", "holding", "input"]
DataType = Literal["bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
# Byte order of the value as a whole, written as the order of bytes A (most significant) to D.
# ABCD: big-endian words and bytes; DCBA: little-endian; BADC: bytes swapped in each word;
# CDAB: words swapped (the common "little-endian word order" of many meters).
ByteOrder = Literal["ABCD", "DCBA", "BADC", "CDAB"]

REGISTER_COUNT: dict[str, int] = {
    "bool": 1,
    "int16": 1,
    "uint16": 1,
    "int32": 2,
    "uint32": 2,
    "float32": 2,
    "int64": 4,
    "uint64": 4,
    "float64": 4,
}

# struct format character of each numeric type (big-endian "ABCD" byte layout before reordering).
STRUCT_FORMAT: dict[str, str] = {
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "uint64": "Q",
    "float32": "f",
    "float64": "d",
}
