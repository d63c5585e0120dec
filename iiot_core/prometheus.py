"""Prometheus text exposition (format 0.0.4), shared by every service's ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterable


def number(value: float) -> str:
    """Exact text for a sample (``%g`` would round 1234567 to 1.23457e+06)."""
    v = float(value)
    return str(int(v)) if v.is_integer() else repr(v)


def labels(**pairs: object) -> str:
    """``{k="v",...}`` with the values escaped; empty string for no labels."""
    if not pairs:
        return ""
    body = ",".join(f'{k}="{_escape(str(v))}"' for k, v in pairs.items())
    return "{" + body + "}"


def family(out: list[str], name: str, kind: str, help_: str, samples: Iterable[tuple[str, float]]) -> None:
    """Append one metric family: HELP, TYPE, then ``name{labels} value`` per sample."""
    out.append(f"# HELP {name} {help_}")
    out.append(f"# TYPE {name} {kind}")
    out.extend(f"{name}{lab} {number(value)}" for lab, value in samples)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
