"""The compiled plant: channels with per-channel arrays, routing, asset nodes and roll-up matrices.

Roll-up rule: a node counts the *top-most* meters of its subtree (a meter whose parent meter
is outside the subtree), so a sub-meter is never counted twice. The ``_unassigned`` node is
the site minus its areas: what no sub-meter covers. Self-consumed on-site generation is a
virtual channel behind the meter it feeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from carbon_engine.config import MeterCfg, PlantCfg
from carbon_engine.factors import FactorLibrary, Slot
from carbon_engine.node_paths import UNASSIGNED, in_subtree
from carbon_engine.units import HYDROGEN_KWH_PER_KG, KWH_PER_GJ, unit_scale
from carbon_engine.view import NodeLevel
from iiot_core import topics

FUELS = ("natural_gas", "diesel", "lpg", "coal")
CONSUMING = ("grid_import", "consumption", "production", "self")


@dataclass(frozen=True, slots=True)
class Channel:
    idx: int
    id: str
    device: str
    point: str
    role: str  # a config role, or "self" for a virtual self-consumption channel
    carrier: str
    node: str  # relative node path
    parent: int | None


@dataclass(frozen=True, slots=True)
class NodeSpec:
    path: str
    rel: str
    level: NodeLevel
    name: str
    parent: str | None
    topic: tuple[str, str, str]  # area, line, node segments of the result topic
    label_en: str = ""
    label_zh: str = ""
    children: tuple[str, ...] = ()


@dataclass
class Topology:
    site: str
    channels: list[Channel]
    route: dict[tuple[str, str], int]
    nodes: list[NodeSpec]
    a: np.ndarray  # nodes x channels: consumption roll-up (top-most rule)
    b: np.ndarray  # nodes x channels: generation roll-up (subtree membership)
    slots: list[Slot | None]
    loc_slot: np.ndarray  # channel -> index into slots (location / combustion / heat)
    rm_slot: np.ndarray  # channel -> index into slots (residual mix for electricity)
    mult: np.ndarray  # factor multiplier per channel (steam: GJ per t)
    scale: np.ndarray  # telemetry unit -> base unit
    is_counter: np.ndarray
    rollover: np.ndarray  # base units, 0 = none
    max_rate: np.ndarray  # base units per hour, inf = unchecked
    kwh_per_unit: np.ndarray
    self_of: dict[int, int] = field(default_factory=dict)  # parent meter -> its self channel
    gen_of: dict[int, np.ndarray] = field(default_factory=dict)  # parent meter -> generation channels
    exp_of: dict[int, np.ndarray] = field(default_factory=dict)  # parent meter -> export channels
    carriers: list[str] = field(default_factory=list)  # non-electric carriers present

    @property
    def n(self) -> int:
        return len(self.channels)

    def role_mask(self, *roles: str) -> np.ndarray:
        return np.array([c.role in roles for c in self.channels], dtype=bool)

    def carrier_mask(self, *carriers: str) -> np.ndarray:
        return np.array([c.carrier in carriers for c in self.channels], dtype=bool)


def _slot_for(m: MeterCfg, region: str, lib: FactorLibrary) -> tuple[Slot | None, Slot | None]:
    c = m.kind
    if c == "electricity":
        return ("electricity", "location", region), ("electricity", "residual_mix", "national")
    if c in FUELS:
        slot: Slot = (c, "combustion", m.variant or "default")
        return slot, slot
    if c in ("steam", "heat"):
        return ("heat", "heat", "default"), ("heat", "heat", "default")
    if c == "hydrogen":
        return (c, "upstream", m.variant or "grey_smr"), None
    return None, None


def _kwh_and_mult(m: MeterCfg, lib: FactorLibrary) -> tuple[float, float]:
    """kWh per base unit, and the multiplier from base unit to the factor's unit."""
    c = m.kind
    if c == "electricity":
        return 1.0, 1.0
    if c in FUELS:
        ncv = lib.first((c, "combustion", m.variant or "default")).parameters["ncv_gj_per_unit"]
        return ncv * KWH_PER_GJ, 1.0
    if c == "heat":
        return KWH_PER_GJ, 1.0
    if c == "steam":
        p = lib.first(("heat", "heat", "default")).parameters
        h = m.enthalpy_kj_per_kg or p.get("enthalpy_kj_per_kg", 2778.0)
        gj_per_t = (h - p.get("return_enthalpy_kj_per_kg", 83.74)) / 1000.0
        return gj_per_t * KWH_PER_GJ, gj_per_t
    if c == "hydrogen":
        return HYDROGEN_KWH_PER_KG, 1.0
    return 0.0, 1.0


def build(cfg: PlantCfg, lib: FactorLibrary) -> Topology:
    """Compile the plant file into arrays the engine computes with."""
    meters = cfg.meters
    index = {m.id: i for i, m in enumerate(meters)}
    channels = [
        Channel(i, m.id, m.device, m.point, m.role, m.kind, m.node, index.get(m.parent or ""))
        for i, m in enumerate(meters)
    ]
    self_of: dict[int, int] = {}
    for m in meters:
        if m.role == "generation" and m.parent is not None:
            p = index[m.parent]
            if p not in self_of:
                self_of[p] = len(channels)
                pc = channels[p]
                channels.append(
                    Channel(len(channels), f"{pc.id}.self", "", "", "self", "electricity", pc.node, pc.parent)
                )
    slots: list[Slot | None] = [None]
    loc_slot: list[int] = []
    rm_slot: list[int] = []
    mult: list[float] = []
    scale: list[float] = []
    kwh: list[float] = []
    for ch in channels:
        m = meters[ch.idx] if ch.idx < len(meters) else meters[_self_parent(self_of, ch.idx)]
        loc, rm = _slot_for(m, cfg.site.grid_region, lib)
        for s, out in ((loc, loc_slot), (rm, rm_slot)):
            if s not in slots:
                slots.append(s)
            out.append(slots.index(s))
        k, mu = _kwh_and_mult(m, lib)
        kwh.append(k)
        mult.append(mu)
        scale.append(unit_scale(m.kind, m.method, m.unit) or 1.0)
    real = [(meters[c.idx] if c.role != "self" else None) for c in channels]
    is_counter = np.array([m is not None and m.method == "counter" for m in real])
    sc = np.array(scale)
    rollover = np.array([(m.rollover or 0.0) if m else 0.0 for m in real]) * sc
    max_rate = np.array([(m.max_rate or math.inf) if m else math.inf for m in real]) * sc
    nodes = _nodes(cfg, channels)
    a, b = _matrices(nodes, channels)
    carriers = sorted({c.carrier for c in channels} - {"electricity", "product"})
    route = {(c.device, c.point): c.idx for c in channels if c.role != "self"}
    return Topology(
        site=cfg.site.id,
        channels=channels,
        route=route,
        nodes=nodes,
        a=a,
        b=b,
        slots=slots,
        loc_slot=np.array(loc_slot, dtype=np.int64),
        rm_slot=np.array(rm_slot, dtype=np.int64),
        mult=np.array(mult),
        scale=sc,
        is_counter=is_counter,
        rollover=rollover,
        max_rate=max_rate,
        kwh_per_unit=np.array(kwh),
        self_of=self_of,
        gen_of={p: _behind(meters, index, p, "generation") for p in self_of},
        exp_of={p: _behind(meters, index, p, "grid_export") for p in self_of},
        carriers=carriers,
    )


def _behind(meters: list[MeterCfg], index: dict[str, int], parent: int, role: str) -> np.ndarray:
    return np.array(
        [i for i, m in enumerate(meters) if m.role == role and index.get(m.parent or "") == parent],
        dtype=np.int64,
    )


def _self_parent(self_of: dict[int, int], idx: int) -> int:
    return next(p for p, s in self_of.items() if s == idx)


def _nodes(cfg: PlantCfg, channels: list[Channel]) -> list[NodeSpec]:
    site = cfg.site.id
    al = topics.ALL
    area_paths = (*tuple(f"{site}/{a.id}" for a in cfg.areas), f"{site}/{UNASSIGNED}")
    out = [
        NodeSpec(site, "", "site", site, None, (al, al, al), cfg.site.label_en, cfg.site.label_zh, area_paths)
    ]
    for a in cfg.areas:
        kids = tuple(f"{site}/{a.id}/{ln.id}" for ln in a.lines)
        out.append(
            NodeSpec(f"{site}/{a.id}", a.id, "area", a.id, site, (a.id, al, al), a.label_en, a.label_zh, kids)
        )
    out.append(
        NodeSpec(
            f"{site}/{UNASSIGNED}",
            UNASSIGNED,
            "area",
            UNASSIGNED,
            site,
            (UNASSIGNED, al, al),
            "Unassigned",
            "未分配",
        )
    )
    for a in cfg.areas:
        for ln in a.lines:
            rel = f"{a.id}/{ln.id}"
            out.append(
                NodeSpec(
                    f"{site}/{rel}",
                    rel,
                    "line",
                    ln.id,
                    f"{site}/{a.id}",
                    (a.id, ln.id, al),
                    ln.label_en,
                    ln.label_zh,
                )
            )
    return out + _meter_nodes(site, cfg, channels)


def _meter_nodes(site: str, cfg: PlantCfg, channels: list[Channel]) -> list[NodeSpec]:
    if not cfg.engine.publish_meters:
        return []
    out = []
    for ch, m in zip(channels, cfg.meters, strict=False):
        parts = ch.node.split("/") if ch.node else []
        area, line = ([*parts, topics.ALL, topics.ALL])[:2]
        parent = f"{site}/{ch.node}" if ch.node else site
        out.append(
            NodeSpec(
                f"{parent}/{ch.id}",
                f"{ch.node}/{ch.id}".lstrip("/"),
                "meter",
                ch.id,
                parent,
                (area, line, ch.id),
                m.label_en,
                m.label_zh,
            )
        )
    return out


def _matrices(nodes: list[NodeSpec], channels: list[Channel]) -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros((len(nodes), len(channels)))
    b = np.zeros_like(a)
    by_idx = {c.idx: c for c in channels}
    for r, node in enumerate(nodes):
        if node.level == "meter":
            idx = next(c.idx for c in channels if c.id == node.name)
            a[r, idx] = 1.0 if channels[idx].role in CONSUMING else 0.0
            b[r, idx] = 1.0 if channels[idx].role in ("generation", "grid_export") else 0.0
            continue
        if node.rel == UNASSIGNED:
            continue
        for c in channels:
            if not in_subtree(c.node, node.rel):
                continue
            if c.role in ("generation", "grid_export"):
                b[r, c.idx] = 1.0
            elif c.parent is None or not in_subtree(by_idx[c.parent].node, node.rel):
                a[r, c.idx] = 1.0
    un = next(i for i, n in enumerate(nodes) if n.rel == UNASSIGNED)
    areas = [i for i, n in enumerate(nodes) if n.level == "area" and i != un]
    a[un] = a[0] - a[areas].sum(axis=0)
    return a, b
