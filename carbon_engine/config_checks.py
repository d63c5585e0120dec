"""Checks across the plant file that one model field alone cannot make (references, units)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from carbon_engine.node_paths import in_subtree, node_paths, relative_node
from carbon_engine.units import ALL_POINTS, allowed_units, state_points, unit_scale
from iiot_core import topics

if TYPE_CHECKING:
    from carbon_engine.config import MeterCfg, PlantCfg


def cross_check(cfg: PlantCfg) -> list[str]:
    """One ``key: problem`` line per fault."""
    return _tree(cfg) + _meters(cfg) + _line_states(cfg) + _contracts(cfg) + _alerts(cfg) + _quotas(cfg)


def _dupes(ids: list[str]) -> set[str]:
    return {i for i, n in Counter(ids).items() if n > 1}


def _tree(cfg: PlantCfg) -> list[str]:
    out = [f"areas: duplicate area id {d!r}" for d in sorted(_dupes([a.id for a in cfg.areas]))]
    for i, area in enumerate(cfg.areas):
        dupes = _dupes([line.id for line in area.lines])
        out += [f"areas[{i}].lines: duplicate line id {d!r}" for d in sorted(dupes)]
    return out


def _meters(cfg: PlantCfg) -> list[str]:
    out: list[str] = []
    structural = {a.id for a in cfg.areas} | {ln.id for a in cfg.areas for ln in a.lines}
    by_id = {m.id: m for m in cfg.meters}
    out += [f"meters: duplicate meter id {d!r}" for d in sorted(_dupes([m.id for m in cfg.meters]))]
    routes = [f"{m.device}/{m.point}" for m in cfg.meters]
    out += [f"meters: point {d!r} is mapped twice" for d in sorted(_dupes(routes))]
    valid_nodes = {""} | {a.id for a in cfg.areas}
    valid_nodes |= {f"{a.id}/{ln.id}" for a in cfg.areas for ln in a.lines}
    for i, m in enumerate(cfg.meters):
        key = f"meters[{i}]"
        if m.id in structural:
            out.append(f"{key}.id: {m.id!r} is also an area or line id")
        try:
            topics.check_segment(m.device, "device")
        except ValueError as exc:
            out.append(f"{key}.device: {exc}")
        if m.node not in valid_nodes:
            out.append(f"{key}.node: unknown node {m.node!r} (use '', 'area' or 'area/line')")
        if unit_scale(m.kind, m.method, m.unit) is None:
            allowed = ", ".join(repr(u) for u in allowed_units(m.kind, m.method)) or "none"
            out.append(f"{key}.unit: {m.unit!r} is not a {m.method} unit of {m.kind} ({allowed})")
        out += [f"{key}.{p}" for p in _parent_problems(m, by_id)]
    return out


def _parent_problems(m: MeterCfg, by_id: dict[str, MeterCfg]) -> list[str]:
    if m.role == "grid_import" and m.parent is not None:
        return ["parent: a grid import meter has no parent"]
    if m.role in ("generation", "grid_export") and m.parent is None:
        return [f"parent: a {m.role} meter names the meter it sits behind"]
    if m.parent is None:
        return []
    parent = by_id.get(m.parent)
    if parent is None:
        return [f"parent: unknown meter {m.parent!r}"]
    if parent.id == m.id:
        return ["parent: a meter cannot be its own parent"]
    if parent.kind != m.kind:
        return [f"parent: {parent.id!r} measures {parent.kind}, not {m.kind}"]
    if parent.role not in ("grid_import", "consumption", "production"):
        return [f"parent: {parent.id!r} is a {parent.role} meter"]
    # Self-consumed generation is accounted at the grid connection; behind a sub-meter the
    # site totals come out wrong.
    if m.role in ("generation", "grid_export") and parent.role != "grid_import":
        return [
            f"parent: a {m.role} meter sits behind the grid import meter, "
            f"not behind {parent.role} meter {parent.id!r}"
        ]
    # Roll-ups count a sub-meter inside its parent: outside the parent's node, the node above
    # would lose it and "_unassigned" would go negative.
    if not in_subtree(m.node, parent.node):
        return [
            f"node: {_where(m.node)} is not at or under {_where(parent.node)}, "
            f"the node of its parent meter {parent.id!r}"
        ]
    seen = {m.id}
    cur: MeterCfg | None = parent
    while cur is not None and cur.parent is not None:
        if cur.id in seen:
            return ["parent: the parent chain is a cycle"]
        seen.add(cur.id)
        cur = by_id.get(cur.parent)
    return []


def _where(node: str) -> str:
    return repr(node) if node else "the site"


def _line_states(cfg: PlantCfg) -> list[str]:
    """A line's state point is a device's point, not a meter's, and tells one line only."""
    out: list[str] = []
    meters = {(m.device, m.point): m.id for m in cfg.meters}
    seen: dict[tuple[str, str], str] = {}
    for i, area in enumerate(cfg.areas):
        for j, line in enumerate(area.lines):
            st = line.state
            if st is None:
                continue
            key, route = f"areas[{i}].lines[{j}].state", (st.device, st.point)
            try:
                topics.check_segment(st.device, "device")
            except ValueError as exc:
                out.append(f"{key}.device: {exc}")
            if route in meters:
                out.append(f"{key}: {st.device}/{st.point} is the point of meter {meters[route]!r}")
            if route in seen:
                out.append(f"{key}: {st.device}/{st.point} already tells the state of line {seen[route]!r}")
            seen[route] = f"{area.id}/{line.id}"
    return out


def _contracts(cfg: PlantCfg) -> list[str]:
    out = [f"contracts: duplicate id {d!r}" for d in sorted(_dupes([c.id for c in cfg.contracts]))]
    for i, c in enumerate(cfg.contracts):
        for j, p in enumerate(c.periods):
            if c.kind == "gec" and p.certificates is None:
                out.append(f"contracts[{i}].periods[{j}]: a GEC period gives certificates")
            if c.kind != "gec" and p.volume_mwh is None:
                out.append(f"contracts[{i}].periods[{j}]: a {c.kind} period gives volume_mwh")
    serials = [p.serial for c in cfg.contracts for p in c.periods if p.serial]
    for d in sorted(_dupes(serials)):
        out.append(f"contracts: serial {d!r} given twice (a certificate is retired once)")
    return out


def _quotas(cfg: PlantCfg) -> list[str]:
    nodes = node_paths(cfg)
    return [
        f"accounts.quotas[{i}].node: unknown node {q.node!r}"
        for i, q in enumerate(cfg.accounts.quotas)
        if relative_node(cfg.site.id, q.node) not in nodes
    ]


def _alerts(cfg: PlantCfg) -> list[str]:
    out = [f"alerts: duplicate rule id {d!r}" for d in sorted(_dupes([r.id for r in cfg.alerts]))]
    nodes = node_paths(cfg)
    devices = {m.device for m in cfg.meters}
    known = ALL_POINTS | state_points(cfg)
    for i, rule in enumerate(cfg.alerts):
        key = f"alerts[{i}]"
        node = getattr(rule, "node", None)
        if node is not None and relative_node(cfg.site.id, node) not in nodes:
            out.append(f"{key}.node: unknown node {node!r}")
        point = getattr(rule, "point", None)
        if point is not None and point not in known:
            out.append(f"{key}.point: unknown output point {point!r}")
        device = getattr(rule, "device", None)
        if rule.kind == "stale" and device not in (None, "*", *devices):
            out.append(f"{key}.device: no meter reads device {device!r}")
    return out
