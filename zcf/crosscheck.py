"""``zcf check edge.toml plant.toml``: the plant file read against the edge configs that feed it.

The engine finds a meter's readings by device and point name and reads them in the meter's
unit; nothing at run time says that a name is misspelt (``gas_totl``) or that the edge sends
``m3`` where the plant assumes ``Nm3``: the readings are just never there, or wrong. For every
meter of a plant, against the edge configs of the same site: the device is polled, the point
exists, and its unit agrees with the meter's unit for the carrier (a meter without a unit
assumes the carrier's base unit; where neither side names one, it is flagged).

Only this composition root knows both roles; each role's own config module is imported when
the check runs, so that ``zcf check`` on a gateway needs no engine.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carbon_engine.config import MeterCfg, PlantCfg
    from edge_agent.config import EdgeConfig


@dataclass(frozen=True, slots=True)
class _Point:
    file: Path
    device: str
    name: str
    unit: str


def cross_check(edges: list[tuple[Path, EdgeConfig]], plant_path: Path, plant: PlantCfg) -> list[str]:
    """One line per fault of ``plant`` against the devices of ``edges`` (same site only)."""
    site = plant.site.id
    mine = [(p, e) for p, e in edges if e.agent.site == site]
    if not mine:
        sites = sorted({e.agent.site for _, e in edges})
        return [f"{plant_path}: site.id: no edge config given is for site {site!r} (edge sites: {sites})"]
    devices: dict[str, dict[str, _Point]] = {}
    out: list[str] = []
    for path, cfg in mine:
        for dev in cfg.devices:
            if dev.name in devices:
                first = next(iter(devices[dev.name].values()), None)
                where = first.file if first else "another edge config"
                out.append(f"{path}: devices: device {dev.name!r} is also polled by {where}")
                continue
            devices[dev.name] = {p.name: _Point(path, dev.name, p.name, p.unit) for p in dev.points}
    for i, m in enumerate(plant.meters):
        key = f"{plant_path}: meters[{i}]({m.id})"
        out += [f"{key}.{line}" for line in _meter(m, devices, [p for p, _ in mine])]
    return out


def _meter(m: MeterCfg, devices: dict[str, dict[str, _Point]], files: list[Path]) -> list[str]:
    points = devices.get(m.device)
    if points is None:
        return [f"device: no device {m.device!r} in {_names(files)}{_near(m.device, list(devices))}"]
    point = points.get(m.point)
    if point is None:
        return [f"point: device {m.device!r} has no point {m.point!r}{_near(m.point, list(points))}"]
    return _unit(m, point)


def _unit(m: MeterCfg, point: _Point) -> list[str]:
    from carbon_engine.units import allowed_units, default_unit

    where = f"the edge point {point.device}/{point.name} ({point.file.name})"
    assumed = default_unit(m.kind, m.method)
    if m.kind == "product":
        return []
    if not point.unit:
        if m.unit is None:
            return [f"unit: neither the meter nor {where} names a unit; the engine assumes {assumed!r}"]
        return []
    allowed = allowed_units(m.kind, m.method)
    if point.unit not in allowed:
        listed = ", ".join(repr(u) for u in allowed)
        return [f"unit: {where} is in {point.unit!r}, not a {m.method} unit of {m.kind} ({listed})"]
    if m.unit is None and point.unit != assumed:
        return [
            f"unit: not set, so {point.unit!r} from {where} is read as {assumed!r}; set unit = {point.unit!r}"
        ]
    if m.unit is not None and m.unit != point.unit:
        return [f"unit: {m.unit!r}, but {where} is in {point.unit!r}"]
    return []


def _names(files: list[Path]) -> str:
    return ", ".join(str(f) for f in files)


def _near(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    shown = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
    return f" (known: {shown})"
