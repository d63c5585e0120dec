"""The target set a plant's indicators are judged against: inline, shipped, or from a file.

``accounts.target_set`` names a set of ``accounts.targets``, a shipped set of
``target_sets.toml`` (the Hunan 2027/2030/2035 values), or a target file relative to the plant
file (``file.toml``, ``file.toml#name`` when it holds several sets).
"""

from __future__ import annotations

from pathlib import Path

from carbon_engine.accounts.config import TargetFileCfg, TargetSetCfg
from carbon_engine.config import PlantCfg
from iiot_core.config_loader import read_toml, validate
from iiot_core.errors import ConfigError

SHIPPED = Path(__file__).with_name("target_sets.toml")


def read_target_file(path: Path) -> list[TargetSetCfg]:
    """The sets of one target file, validated (faults name the file and key)."""
    sets = validate(TargetFileCfg, read_toml(path), str(path)).target_set
    names = [s.name for s in sets]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError([f"{path}: target_set: name {n!r} given twice" for n in twice])
    return sets


def shipped_sets() -> dict[str, TargetSetCfg]:
    return {s.name: s for s in read_target_file(SHIPPED)}


def resolve_target_set(plant: PlantCfg, plant_path: str | Path) -> TargetSetCfg | None:
    """The configured target set, or None when the plant names none; ConfigError if not found."""
    name = plant.accounts.target_set
    if name is None:
        return None
    inline = {s.name: s for s in plant.accounts.targets}
    if name in inline:
        return inline[name]
    shipped = shipped_sets()
    if name in shipped:
        return shipped[name]
    key = f"{plant_path}: accounts.target_set"
    file, _, wanted = name.partition("#")
    path = Path(file) if Path(file).is_absolute() else Path(plant_path).parent / file
    if not file.endswith(".toml"):
        known = sorted(inline) + sorted(shipped)
        raise ConfigError([f"{key}: no target set {name!r} (known: {', '.join(known)}; or a .toml file)"])
    sets = read_target_file(path)
    if wanted:
        found = [s for s in sets if s.name == wanted]
        if not found:
            raise ConfigError([f"{key}: {path} holds no set {wanted!r} ({', '.join(s.name for s in sets)})"])
        return found[0]
    if len(sets) != 1:
        raise ConfigError([f"{key}: {path} holds {len(sets)} sets: name one as '{file}#NAME'"])
    return sets[0]
