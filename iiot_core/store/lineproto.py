"""InfluxDB line protocol for telemetry, built with plain string joins (the ingest hot path).

One line per (device, source timestamp): ``measurement,area=..,device=..,line=..,site=..``
then one float field per point, ``<name>_q="<quality>"`` for points whose quality is not
good, and ``seq=<n>i``; the timestamp is the source time in ms.
"""

from __future__ import annotations

from collections.abc import Sequence

from iiot_core.model import Point, Quality, Telemetry
from iiot_core.store.base import QUALITY_SUFFIX, SEQ_FIELD, TAGS, Record

# A backslash is written as it is: InfluxDB 1.x keeps ``\\`` as two characters where 2.x and
# VictoriaMetrics read one, but all three keep a backslash before an ordinary character.
_KEY_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_TAG_ESCAPES = _KEY_ESCAPES
_CACHE_LIMIT = 100_000
_keys: dict[str, str] = {}
_tags: dict[str, str] = {}
_GOOD = Quality.GOOD
MAX_NAME_CHARS = 200
# Field keys a store drops or takes for something else: ``time`` (dropped by InfluxDB 1.x with
# a 204, refused by 2.x), 2.x's ``_field``/``_measurement``, our own ``seq``, and the tag keys
# (a field named like a tag hides the tag from ``WHERE site = ...`` and from our readers).
RESERVED_NAMES = frozenset({"time", "_field", "_measurement", SEQ_FIELD, *TAGS})
# What a backslash must not precede: InfluxDB reads ``\,`` ``\=`` ``\ `` and 1.x ``\"`` as
# escapes, 2.x and VictoriaMetrics read ``\\`` as one backslash, 1.x as two.
_BACKSLASH_BEFORE = frozenset(',= "\\')


def point_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a point (field) name that every store keeps as it is, or None.

    The one rule for the edge agent's config check, ingest validation and engine results.
    """
    if not name or len(name) > MAX_NAME_CHARS:
        return f"point name empty or longer than {MAX_NAME_CHARS} characters"
    if name in RESERVED_NAMES or name.endswith(QUALITY_SUFFIX):
        return (
            f"point name {name!r} is reserved: {', '.join(sorted(RESERVED_NAMES))} "
            f"and '*{QUALITY_SUFFIX}' are store keys"
        )
    if not name.isprintable():
        return f"point name {name!r} holds control or unprintable characters"
    if (problem := _backslash_problem(name)) is not None:
        return problem
    if '"' in name:
        # VictoriaMetrics (v2 write API) reads a '"' in a field key as the start of a string
        # value: the point is stored as 0 and the field after it is lost.
        return f"point name {name!r} holds a double quote, which VictoriaMetrics misreads"
    return None


def _backslash_problem(name: str) -> str | None:
    i = name.find("\\")
    while i >= 0:
        after = name[i + 1 : i + 2]
        if not after:
            return f"point name {name!r} ends with a backslash, which line protocol cannot carry"
        if after in _BACKSLASH_BEFORE:
            return (
                f"point name {name!r} has a backslash before {after!r}, which InfluxDB "
                "would read as an escape (a backslash is fine before any other character)"
            )
        i = name.find("\\", i + 1)
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
