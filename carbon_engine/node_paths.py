"""Node paths of the plant tree, relative to the site: "" (site), area, area/line, _unassigned, node/meter."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carbon_engine.config import PlantCfg

UNASSIGNED = "_unassigned"


def node_paths(cfg: PlantCfg) -> set[str]:
    """Relative node paths: "" (site), areas, area/line, _unassigned and node/meter."""
    paths = {"", UNASSIGNED}
    for area in cfg.areas:
        paths.add(area.id)
        paths.update(f"{area.id}/{line.id}" for line in area.lines)
    paths.update(meter_path(m.node, m.id) for m in cfg.meters)
    return paths


def meter_path(node: str, meter_id: str) -> str:
    return f"{node}/{meter_id}" if node else meter_id


def in_subtree(rel: str, root: str) -> bool:
    """Whether the relative node path ``rel`` is ``root`` or under it ("" is the site)."""
    return root == "" or rel == root or rel.startswith(root + "/")


def relative_node(site: str, node: str) -> str:
    """Accept a node as a full path (``site/area``) or relative to the site."""
    if node == site:
        return ""
    return node[len(site) + 1 :] if node.startswith(site + "/") else node
