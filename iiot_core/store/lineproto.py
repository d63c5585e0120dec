"""InfluxDB line protocol for telemetry, built with plain string joins (the ingest hot path).

One line per (device, source timestamp): ``measurement,area=..,device=..,line=..,site=..``
then one float field per point, ``<name>_q="<quality>"`` for points whose quality is not
good, and ``seq=<n>i``; the timestamp is the source time in ms.
"""

from __future__ import annotations

from collections.abc import Sequence

from iiot_core.model import Point, Quality, Telemetry
from iiot_core.store.base import QUALITY_SUFFIX, SEQ_FIELD, Record

_KEY_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\\": "\\\\"})
_TAG_ESCAPES = _KEY_ESCAPES
_CACHE_LIMIT = 100_000
_keys: dict[str, str] = {}
_tags: dict[str, str] = {}
_GOOD = Quality.GOOD


def point_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a field name, or None if it can."""
    if not name or len(name) > 200:
        return "point name empty or longer than 200 characters"
    if name == SEQ_FIELD or name.endswith(QUALITY_SUFFIX):
        return f"point name {name!r} is reserved ({SEQ_FIELD!r} and '*{QUALITY_SUFFIX}')"
    if not name.isprintable():
        return f"point name {name!r} holds control characters"
    return None


def _key(name: str) -> str:
    k = _keys.get(name)
    if k is None:
        if len(_keys) > _CACHE_LIMIT:
            _keys.clear()
        k = _keys[name] = name.translate(_KEY_ESCAPES)
    return k


def _tag(value: str) -> str:
    t = _tags.get(value)
    if t is None:
        if len(_tags) > _CACHE_LIMIT:
            _tags.clear()
        t = _tags[value] = value.translate(_TAG_ESCAPES)
    return t


def _fields(points: Sequence[Point]) -> str:
    parts = []
    for p in points:
        key = _key(p.name)
        parts.append(f"{key}={p.value!r}")
        if p.quality is not _GOOD:
            parts.append(f'{key}{QUALITY_SUFFIX}="{p.quality.value}"')
    return ",".join(parts)


def encode_message(measurement: str, msg: Telemetry, out: list[str]) -> int:
    """Append the lines of one message to ``out``; return its number of points."""
    points = msg.points
    if not points:
        return 0
    head = (
        f"{measurement},area={_tag(msg.area)},device={_tag(msg.device)},"
        f"line={_tag(msg.line)},site={_tag(msg.site)} "
    )
    tail = f",{SEQ_FIELD}={msg.seq}i "
    ts0 = points[0].ts
    if all(p.ts == ts0 for p in points):
        out.append(f"{head}{_fields(points)}{tail}{ts0}")
        return len(points)
    by_ts: dict[int, list[Point]] = {}
    for p in points:
        by_ts.setdefault(p.ts, []).append(p)
    for ts, group in by_ts.items():
        out.append(f"{head}{_fields(group)}{tail}{ts}")
    return len(points)


def encode_batch(batch: Sequence[Record]) -> tuple[bytes, int]:
    """Line protocol for a whole batch (newline separated) and its number of points."""
    lines: list[str] = []
    n = 0
    for measurement, msg in batch:
        n += encode_message(measurement, msg, lines)
    lines.append("")
    return "\n".join(lines).encode(), n
