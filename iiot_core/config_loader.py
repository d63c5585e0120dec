"""Load TOML files into pydantic models, turning every fault into a line naming file and key."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from iiot_core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def format_validation(source: str, exc: ValidationError) -> list[str]:
    """One line per pydantic error: ``file: key.path: message (got value)``."""
    lines = []
    for err in exc.errors():
        # Discriminated unions put the tag name in loc; it is noise for a reader.
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.endswith("]")))
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        lines.append(f"{source}: {_key_path(loc)}: {err['msg']}{shown}")
    return lines


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a missing file or syntax error becomes a ConfigError."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}: file not found"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML syntax error: {exc}"]) from exc


def validate(model: type[M], data: dict[str, Any], source: str) -> M:
    """Validate ``data`` into ``model``; faults become a ConfigError naming ``source``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation(source, exc)) from exc


def load_toml(model: type[M], path: str | Path) -> M:
    """Read and validate a TOML config file."""
    p = Path(path)
    return validate(model, read_toml(p), str(p))


def env_override(name: str, default: str | None = None) -> str | None:
    """Return ``ZCF_<NAME>`` from the environment, or ``default``."""
    return os.environ.get(f"ZCF_{name.upper()}", default)
