"""Target sets: shipped (Hunan), inline, or from a file; a bad one is refused naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon_engine.accounts.config import TargetCfg
from carbon_engine.accounts.targets import resolve_target_set, shipped_sets
from carbon_engine.config import check, load_plant
from iiot_core.errors import ConfigError

PLANT = """
[site]
id = "plant1"

[[meters]]
id = "grid"
device = "main-meter"
point = "import_energy"
role = "grid_import"
carrier = "electricity"

[accounts]
target_set = "%s"

[[accounts.targets]]
name = "own"
source = "board decision 2026"
targets = [{ indicator = "carbon_per_energy", max = 1.0 }]
"""

OWN_FILE = """
schema = 1
[[target_set]]
name = "site-2028"
targets = [{ indicator = "renewable_share_electricity", min = 0.6 }]
[[target_set]]
name = "site-2032"
targets = [{ indicator = "renewable_share_electricity", min = 0.9 }]
"""


def _plant(tmp_path: Path, name: str) -> Path:
    f = tmp_path / "plant.toml"
    f.write_text(PLANT % name)
    (tmp_path / "targets.toml").write_text(OWN_FILE)
    return f


def test_the_hunan_values_ship_as_data() -> None:
    sets = shipped_sets()
    want = {"hunan-2027": (1.25, 0.35), "hunan-2030": (0.87, 0.55), "hunan-2035": (0.37, 0.80)}
    for name, (carbon, renewable) in want.items():
        t = {x.indicator: x for x in sets[name].targets}
        assert (t["carbon_per_energy"].max, t["renewable_share_energy"].min) == (carbon, renewable)
        assert "458" in sets[name].source and "Hunan" in sets[name].source
    assert {x.indicator: x.min for x in sets["hunan-2027"].targets}["footprint_reduction"] == 0.06


@pytest.mark.parametrize(
    ("name", "found", "first"),
    [
        ("hunan-2035", "hunan-2035", 0.37),
        ("own", "own", 1.0),
        ("targets.toml#site-2032", "site-2032", 0.9),
    ],
)
def test_a_set_is_found_by_name_or_path(tmp_path: Path, name: str, found: str, first: float) -> None:
    f = _plant(tmp_path, name)
    ts = resolve_target_set(load_plant(f), f)
    assert ts is not None and ts.name == found
    t = ts.targets[0]
    assert (t.max if t.max is not None else t.min) == first
    assert check(f) == []


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("hunan-2040", "no target set 'hunan-2040' (known: own, hunan-2027, hunan-2030, hunan-2035"),
        ("targets.toml", "holds 2 sets: name one as 'targets.toml#NAME'"),
        ("targets.toml#site-2040", "holds no set 'site-2040' (site-2028, site-2032)"),
        ("missing.toml", "missing.toml: file not found"),
    ],
)
def test_an_unknown_set_is_refused_naming_the_key(tmp_path: Path, name: str, needle: str) -> None:
    f = _plant(tmp_path, name)
    with pytest.raises(ConfigError) as exc:
        resolve_target_set(load_plant(f), f)
    assert needle in "\n".join(exc.value.problems)
    assert any(needle in line for line in check(f))
    if "missing" not in name:
        assert all(line.startswith(f"{f}: accounts.target_set: ") for line in check(f))


def test_a_target_names_a_known_indicator_and_one_bound() -> None:
    with pytest.raises(ValueError, match="unknown indicator 'carbon_bananas'"):
        TargetCfg(indicator="carbon_bananas", max=1)
    with pytest.raises(ValueError, match="exactly one of max or min"):
        TargetCfg(indicator="carbon_per_energy", max=1, min=0)


def test_a_bad_target_file_names_the_file_and_key(tmp_path: Path) -> None:
    f = _plant(tmp_path, "targets.toml#site-2028")
    (tmp_path / "targets.toml").write_text(OWN_FILE.replace("min = 0.6", "above = 0.6"))
    text = "\n".join(check(f))
    assert str(tmp_path / "targets.toml") in text and "target_set" in text and "above" in text


def test_a_quota_on_an_unknown_node_is_refused(tmp_path: Path) -> None:
    f = _plant(tmp_path, "own")
    f.write_text(f.read_text() + '\n[[accounts.quotas]]\nnode = "assembly/line9"\nlimit = 3.0\n')
    assert check(f) == [f"{f}: accounts.quotas[0].node: unknown node 'assembly/line9'"]
