"""The one formatter of pydantic validation errors: one line per fault, naming where and what.

Every loader uses it, for a file (``file: devices[2](pv-inverter).points[1](pv_energy).type:
...``) and for settings from the environment or the command line (``ZCF_MQTT_PROTOCOL: ...``,
``--lease-s: ...``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from iiot_core.masking import is_secret_key, mask

Loc = tuple[int | str, ...]


def format_validation(
    source: str, exc: ValidationError, data: Any = None, *, tags: Sequence[str] = ()
) -> list[str]:
    """One line per error: ``source: key.path: message (got value)``.

    With ``data`` (the validated input) list items are labelled with their ``name``; ``tags``
    are the kinds a discriminated union accepts, named when an item has none.
    """
    return [mask(f"{source}: {key_path(loc, data)}: {msg}") for loc, msg in problems(exc, tags)]


def format_settings(exc: ValidationError, name_of: Callable[[str], str]) -> list[str]:
    """One line per error in flat settings: ``NAME: message (got value)``, NAME from the field."""
    return [mask(f"{name_of(str(loc[0])) if loc else '(settings)'}: {msg}") for loc, msg in problems(exc)]


def problems(exc: ValidationError, tags: Sequence[str] = ()) -> list[tuple[Loc, str]]:
    """Each error's location and a reader's message, with the offending value when it is short."""
    return [_describe(err, tags) for err in exc.errors()]


def _describe(err: Mapping[str, Any], tags: Sequence[str]) -> tuple[Loc, str]:
    loc, kind, ctx = tuple(err["loc"]), err["type"], err.get("ctx", {})
    shown = _shown(loc, err.get("input"))
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "missing":
        msg = "missing key (required)"
    elif kind == "extra_forbidden":
        msg = "unknown key (not allowed here)"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        field = str(ctx.get("discriminator", "kind")).strip("'")
        # ("devices", 0) -> "device kind": the list's name says what the item is.
        what = f"{loc[-2]}".removesuffix("s") + " " if len(loc) > 1 and isinstance(loc[-2], str) else ""
        loc = (*loc, field)
        if kind == "union_tag_invalid":
            expected = str(ctx.get("expected_tags", "")).replace("'", "")
            msg, shown = f"unknown {what}{field} (expected one of {expected})", f" (got {ctx.get('tag')!r})"
        else:
            msg = f"missing key (one of {', '.join(tags)})" if tags else "missing key (required)"
    return loc, msg + shown


def _shown(loc: Loc, got: Any) -> str:
    """`` (got value)`` for a short value; never a secret (a password, token or URL credentials)."""
    if isinstance(got, dict | list) or got is None:
        return ""
    if any(isinstance(p, str) and (is_secret_key(p) or p.endswith("key_file")) for p in loc):
        return " (value hidden)"
    return mask(f" (got {got!r})")


def key_path(loc: Loc, data: Any = None) -> str:
    """Render a pydantic location as ``devices[2](pv-inverter).points[1](pv_energy).type``."""
    out = ""
    node = data
    for i, part in enumerate(loc):
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            name = node.get("name") if isinstance(node, dict) else None
            out += f"[{part}]" + (f"({name})" if isinstance(name, str) else "")
        elif _is_union_tag(part, node, last=i == len(loc) - 1):
            continue  # the member of a union pydantic puts in the path: noise for a reader
        else:
            node = node.get(part) if isinstance(node, dict) else None
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _is_union_tag(part: str, node: Any, *, last: bool) -> bool:
    """A union member's tag (``modbus_tcp``) or validator label (``function-after[...]``)."""
    if part.endswith("]"):
        return True
    # A tag is never the last part, is not a key of the input, and is one of its values (kind = ...).
    return not last and isinstance(node, dict) and part not in node and part in node.values()
