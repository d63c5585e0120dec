"""Every fault of a plant file in one run, for ``zcf check``: no stage hides the next one.

A plant file is checked in three stages - the models (pydantic), the checks across the file
(``config_checks``) and the factor library it names. ``load_plant`` stops at the first stage
that fails, as a service must; this report goes on: when the models fail, the items that are
valid on their own are checked across the file all the same (lines keep the item's index in the
file), and the factor library is loaded from the site section whenever that section is valid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from carbon_engine.config import (
    AlertRule,
    AreaCfg,
    ContractCfg,
    EngineCfg,
    MeterCfg,
    PlantCfg,
    SiteCfg,
    library_of,
)
from carbon_engine.config_checks import cross_check
from iiot_core.config_loader import read_toml, validate
from iiot_core.errors import ConfigError

_LISTS: dict[str, Any] = {
    "areas": TypeAdapter(AreaCfg),
    "meters": TypeAdapter(MeterCfg),
    "contracts": TypeAdapter(ContractCfg),
    "alerts": TypeAdapter(AlertRule),
}
_INDEXED = re.compile(r"^(areas|meters|contracts|alerts)\[(\d+)\]")


def report(path: str | Path) -> list[str]:
    """Every fault of the plant file at ``path`` (and its factor, supplier and target files)."""
    p = Path(path)
    try:
        raw = read_toml(p)
    except ConfigError as exc:
        return list(exc.problems)
    cfg: PlantCfg | None
    try:
        cfg = validate(PlantCfg, raw, str(p))
        problems: list[str] = []
        across = cross_check(cfg)
    except ConfigError as exc:
        problems = list(exc.problems)
        cfg, across = _partial(raw)
    problems += [f"{p}: {line}" for line in across]
    site = cfg.site if cfg is not None else _valid(SiteCfg, raw.get("site"))
    if site is not None:
        try:
            library_of(cfg or PlantCfg.model_construct(site=site, meters=[]), p)
        except ConfigError as exc:
            problems += exc.problems
    if cfg is not None:
        problems += _accounts_files(cfg, p)
    return problems


def _accounts_files(cfg: PlantCfg, p: Path) -> list[str]:
    """Faults of the supplier and target files the plant's ``[accounts]`` names."""
    from carbon_engine.accounts.suppliers import load_suppliers
    from carbon_engine.accounts.targets import resolve_target_set

    problems: list[str] = []
    for load in (lambda: load_suppliers(cfg.accounts, p), lambda: resolve_target_set(cfg, p)):
        try:
            load()
        except ConfigError as exc:
            problems += exc.problems
    return problems


def _valid(model: type[BaseModel], data: object) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _partial(raw: dict[str, Any]) -> tuple[PlantCfg | None, list[str]]:
    """The file's valid items checked across it, with their own indices; (None, []) without a site."""
    site = _valid(SiteCfg, raw.get("site"))
    if site is None:
        return None, []
    kept: dict[str, list[Any]] = {}
    where: dict[str, list[int]] = {}
    dropped: dict[str, list[Any]] = {}
    for key, adapter in _LISTS.items():
        items = raw.get(key, [])
        kept[key], where[key], dropped[key] = [], [], []
        for i, item in enumerate(items if isinstance(items, list) else []):
            try:
                kept[key].append(adapter.validate_python(item))
                where[key].append(i)
            except ValidationError:
                dropped[key].append(item)
    cfg = PlantCfg.model_construct(
        site=site,
        engine=_valid(EngineCfg, raw.get("engine", {})) or EngineCfg(),
        areas=kept["areas"],
        meters=kept["meters"],
        contracts=kept["contracts"],
        alerts=kept["alerts"],
    )
    lines = [_renumber(line, where) for line in cross_check(cfg)]
    return cfg, [line for line in lines if not _about_dropped(line, dropped)]


def _renumber(line: str, where: dict[str, list[int]]) -> str:
    m = _INDEXED.match(line)
    if m is None:
        return line
    return f"{m.group(1)}[{where[m.group(1)][int(m.group(2))]}]" + line[m.end() :]


def _about_dropped(line: str, dropped: dict[str, list[Any]]) -> bool:
    """A reference to an item that failed its own checks: already reported, not a second fault."""
    if dropped["areas"] and "unknown node" in line:
        return True
    if dropped["meters"] and "no meter reads device" in line:
        return True
    ids = [d.get("id") for d in dropped["meters"] if isinstance(d, dict)]
    return any(isinstance(i, str) and f"unknown meter {i!r}" in line for i in ids)
