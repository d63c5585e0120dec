"""Load TOML files into pydantic models, turning every fault into a line naming file and key."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from iiot_core.config_errors import format_validation
from iiot_core.errors import ConfigError
from iiot_core.masking import remember_config

M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a missing file or syntax error becomes a ConfigError."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        remember_config(data)  # masked in every message from now on
        return data
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}: file not found"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML syntax error: {exc}"]) from exc


def validate(model: type[M], data: dict[str, Any], source: str, *, tags: Sequence[str] = ()) -> M:
    """Validate ``data`` into ``model``; faults become a ConfigError naming ``source`` and each key.

    ``tags``: the kinds of the file's discriminated union, named when an item gives none.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation(source, exc, data, tags=tags)) from exc


def load_toml(model: type[M], path: str | Path) -> M:
    """Read and validate a TOML config file."""
    p = Path(path)
    return validate(model, read_toml(p), str(p))
