"""The hourly ledger of a period: the source of truth of every period figure.

``ledger_from_store`` replays the period's raw telemetry from the store through a fresh
``EngineCore`` (the engine's own code, nothing reimplemented) in event time, and keeps the
latest revision of every 1-hour result of every node whose hour starts inside the period.
``ledger_from_results`` reads back the 1-hour results the live engine published and ingest
stored (measurement ``carbon``), so a report can show that both agree (``compare``).

The replay reads a *lead-in* before the period and a *lead-out* after it, each
``max_gap_s + allowed_lateness_s`` of the plant file by default: the lead-in gives every
counter its baseline (the last reading before the period) and every power channel the sample
its first interval starts from; the lead-out closes the last interval, which the live engine
splits over the period's end the same way. A counter silent for longer than the lead-in at the
period start loses the part of its first (estimated) delta that falls in the period; the data
quality section shows such a gap. The replay sees no late samples and runs on event time alone
(no idle clock), so it keeps what the live engine dropped after its allowed lateness (counted
there as ``dropped``), e.g. the old part of a counter delta bridging a silence of the whole plant
longer than the lateness. A period reported to date ends with the hour holding ``as_of``, partial.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from carbon_engine.accounts.periods import Period
from carbon_engine.config import PlantCfg
from carbon_engine.core import EngineCore
from carbon_engine.factors import FactorLibrary
from carbon_engine.results import WindowResult, device_name
from carbon_engine.routing import USABLE
from carbon_engine.topology import build
from carbon_engine.units import FACTOR_POINT_PREFIX
from carbon_engine.windows import SIZES_MS, Calendar
from iiot_core.store.base import (
    MEASUREMENT_CARBON,
    MEASUREMENT_TELEMETRY,
    QUALITY_CODES,
    RawPage,
    Selector,
    SeriesKey,
    StoreReader,
)

HOUR = "1h"
HOUR_MS = SIZES_MS[HOUR]
_USABLE_CODES = np.array([QUALITY_CODES.index(q.value) for q in USABLE], dtype=np.uint8)
# Samples per page the replay aims at: big enough for numpy, small enough for memory.
_PAGE_SAMPLES = 200_000

PageHook = Callable[[RawPage], None]


@dataclass(frozen=True)
class Ledger:
    """1-hour results of every node, latest revision, hours starting in [period start, as of)."""

    site: str
    period: Period
    as_of_ms: int
    hours: list[WindowResult]  # sorted by (start, node)
    source: str  # "store" (replayed from telemetry) or "results" (the live engine's, as stored)
    samples: int = 0  # raw samples read (store), or result rows (results)
    lead_ms: int = 0  # lead-in and lead-out of a replay

    def node(self, path: str) -> list[WindowResult]:
        return [r for r in self.hours if r.node == path]


def lead_ms(plant: PlantCfg) -> int:
    """Lead-in (and lead-out) of a replay: the plant's max_gap plus its allowed lateness."""
    e = plant.engine
    return int((e.max_gap_s + e.allowed_lateness_s) * 1000)


def _as_of(period: Period, as_of_ms: int | None) -> int:
    now = int(time.time() * 1000) if as_of_ms is None else as_of_ms
    return period.until(now)


def page_ms(plant: PlantCfg) -> int:
    """A page holding about _PAGE_SAMPLES samples at the meters' poll rates (1 s when unset)."""
    per_s = sum(1.0 / (m.poll_interval_s or 1.0) for m in plant.meters)
    ms = int(_PAGE_SAMPLES / max(per_s, 1e-9) * 1000) // 60_000 * 60_000
    return min(max(ms, 60_000), 86_400_000)


class _Router:
    """Series of raw pages to the core's channels (-1: not a meter of the plant) and to the
    lines whose state point they are (-1: none)."""

    def __init__(self, core: EngineCore) -> None:
        self.route = core.topo.route
        self.states = core.line_states
        self.site = core.topo.site
        self._chan: dict[SeriesKey, tuple[int, int]] = {}

    def _of(self, k: SeriesKey) -> tuple[int, int]:
        got = self._chan.get(k)
        if got is None:
            ok = k.measurement == MEASUREMENT_TELEMETRY and k.site == self.site
            got = (
                (self.route.get((k.device, k.field), -1), self.states.index(k.device, k.field))
                if ok
                else (-1, -1)
            )
            self._chan[k] = got
        return got

    def channels(self, keys: list[SeriesKey]) -> np.ndarray:
        return np.array([self._of(k)[0] for k in keys], dtype=np.int64).reshape(len(keys))

    def lines(self, keys: list[SeriesKey]) -> np.ndarray:
        return np.array([self._of(k)[1] for k in keys], dtype=np.int64).reshape(len(keys))


async def ledger_from_store(
    plant: PlantCfg,
    library: FactorLibrary,
    reader: StoreReader,
    period: Period,
    as_of_ms: int | None = None,
    *,
    lead: int | None = None,
    on_page: PageHook | None = None,
) -> Ledger:
    """Replay the period's stored telemetry through a fresh ``EngineCore`` in event time.

    ``on_page`` sees every raw page read (the data-quality tracker reads the same pass)."""
    until = _as_of(period, as_of_ms)
    lead = lead_ms(plant) if lead is None else lead
    hourly = plant.model_copy(update={"engine": plant.engine.model_copy(update={"windows": [HOUR]})})
    core = EngineCore(hourly, library)
    router = _Router(core)
    states = [ln.state.point for a in plant.areas for ln in a.lines if ln.state is not None]
    points = tuple(sorted({m.point for m in plant.meters} | set(states)))
    sel = Selector(MEASUREMENT_TELEMETRY, site=plant.site.id, fields=points)
    kept: dict[tuple[str, int], WindowResult] = {}
    samples = 0

    def collect(results: list[WindowResult]) -> None:
        for r in results:
            if r.size == HOUR and period.start_ms <= r.start < until:
                kept[(r.node, r.start)] = r

    async for page in reader.raw(sel, period.start_ms - lead, until + lead, page_ms(plant)):
        if on_page is not None:
            on_page(page)
        samples += len(page)
        if len(page):
            _feed(core, router, page)
        if core.max_ts >= 0:
            # Event time only, no idle clock: a silence of the whole plant moves nothing, so
            # the replay never drops a late contribution and does not depend on the page size.
            collect(core.advance_windows(core.max_ts))
    e = plant.engine
    flush_at = until + lead + int((e.allowed_lateness_s + e.idle_close_s + e.publish_delay_s) * 1000)
    collect(core.advance_windows(flush_at + 2 * HOUR_MS))
    hours = sorted(kept.values(), key=lambda r: (r.start, r.node))
    return Ledger(plant.site.id, period, until, hours, "store", samples, lead)


def _feed(core: EngineCore, router: _Router, page: RawPage) -> None:
    series = np.frombuffer(page.series, dtype=np.dtype("l"))
    usable = np.isin(np.frombuffer(page.quality, dtype=np.uint8), _USABLE_CODES)
    ts = np.frombuffer(page.ts, dtype=np.int64)
    value = np.frombuffer(page.value, dtype=np.float64)
    # Line states first, as the live engine takes a message's state points before its energy.
    line = router.lines(page.keys)[series]
    st = (line >= 0) & usable
    if st.any():
        core.ingest_states(line[st], ts[st], value[st])
    chan = router.channels(page.keys)[series]
    ok = (chan >= 0) & usable
    if ok.any():
        core.ingest_arrays(chan[ok], ts[ok], value[ok])


async def ledger_from_results(
    plant: PlantCfg, library: FactorLibrary, reader: StoreReader, period: Period, as_of_ms: int | None = None
) -> Ledger:
    """The live engine's stored 1-hour results of the period (the store keeps each window's last).

    A node whose results were not published (``publish_meters = false``) has no hours here."""
    until = _as_of(period, as_of_ms)
    topo = build(plant, library)
    calendar = Calendar(plant.site.timezone)
    fields = tuple(await reader.fields(MEASUREMENT_CARBON))
    hours: list[WindowResult] = []
    rows = 0
    for node in topo.nodes:
        area, line, _ = node.topic
        sel = Selector(MEASUREMENT_CARBON, plant.site.id, area, line, device_name(node, HOUR), fields)
        by_start: dict[int, dict[str, float]] = {}
        async for page in reader.raw(sel, period.start_ms, until, 31 * 86_400_000):
            for s, t, v in zip(page.series, page.ts, page.value, strict=True):
                by_start.setdefault(t, {})[page.keys[s].field] = v
                rows += 1
        for start, values in sorted(by_start.items()):
            hours.append(_result(node.path, start, calendar.window(HOUR, start)[1], values))
    hours.sort(key=lambda r: (r.start, r.node))
    return Ledger(plant.site.id, period, until, hours, "results", rows)


def _result(node: str, start: int, end: int, stored: dict[str, float]) -> WindowResult:
    n = len(FACTOR_POINT_PREFIX)
    versions = tuple(sorted(k[n:] for k in stored if k.startswith(FACTOR_POINT_PREFIX)))
    values = {k: v for k, v in stored.items() if not k.startswith(FACTOR_POINT_PREFIX)}
    return WindowResult(node, HOUR, start, end, 0, values, versions)


@dataclass(frozen=True)
class Difference:
    """How far two ledgers are apart: the largest relative difference and where it is."""

    max_rel: float
    where: str  # "node start point" of the largest difference ("" when none)
    compared: int  # values compared
    only_a: list[str]  # "node start" of hours in one ledger only
    only_b: list[str]


def relative(a: float, b: float) -> float:
    """|a - b| relative to the larger magnitude (0 when both are below 1e-12)."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale < 1e-12 else abs(a - b) / scale


def compare(a: Ledger, b: Ledger, points: tuple[str, ...] | None = None) -> Difference:
    """Every value of the hours both ledgers hold (``points``: only these), compared."""
    ia = {(r.node, r.start): r for r in a.hours}
    ib = {(r.node, r.start): r for r in b.hours}
    worst, where, n = 0.0, "", 0
    for key in ia.keys() & ib.keys():
        va, vb = ia[key].values, ib[key].values
        for p in (va.keys() | vb.keys()) if points is None else points:
            x, y = va.get(p, math.nan), vb.get(p, math.nan)
            if math.isnan(x) and math.isnan(y):
                continue
            d = math.inf if math.isnan(x) or math.isnan(y) else relative(x, y)
            n += 1
            if d > worst:
                worst, where = d, f"{key[0]} {key[1]} {p}"

    def only(x: dict[tuple[str, int], WindowResult], y: dict[tuple[str, int], WindowResult]) -> list[str]:
        return [f"{k[0]} {k[1]}" for k in sorted(x.keys() - y.keys())]

    return Difference(worst, where, n, only(ia, ib), only(ib, ia))
