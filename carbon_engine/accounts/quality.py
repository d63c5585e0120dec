"""Data quality of a period, per meter and device, from the raw telemetry the ledger replays.

- **good coverage**: the share of the period covered by good samples. A good sample covers the
  time up to the next good sample of its series when they are at most the engine's
  ``max_gap_s`` apart, the limit beyond which the engine stops integrating power and books a
  counter's delta as estimated; a longer interval is a **gap** (start, end). Samples of
  quality ``bad``/``stale`` (the engine skips them) and ``estimated`` cover nothing.
- **estimated share**: the engine's ``estimated_share`` of the meter's hours, weighted by their
  energy (energy interpolated across gaps over all the meter's energy in the period).
- **device offline time**: time without any telemetry from the device (any of its meter points,
  any quality): a sample covers up to the next one, at most the stale limit of the live view
  (3 x ``poll_interval_s``, at least 30 s, or ``[engine] stale_after_s``) after it. Ingest does
  not store device status messages, so telemetry is the only record of presence.

One pass, bounded memory: ``QualityTracker.observe`` takes the ledger replay's raw pages in time
order (``ledger_from_store(..., on_page=tracker.observe)``); gaps beyond ``MAX_GAPS`` per meter
are counted, not listed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from carbon_engine.accounts.ledger import Ledger, ledger_from_store
from carbon_engine.accounts.periods import Period
from carbon_engine.config import PlantCfg
from carbon_engine.factors import FactorLibrary
from carbon_engine.freshness import MIN_STALE_S, POLLS_BEFORE_STALE
from iiot_core.store.base import MEASUREMENT_TELEMETRY, RawPage, SeriesKey, StoreReader

MAX_GAPS = 1000


@dataclass(frozen=True, slots=True)
class Gap:
    start_ms: int
    end_ms: int

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


@dataclass(frozen=True)
class MeterQuality:
    meter: str
    device: str
    point: str
    good_share: float  # of the covered part of the period
    estimated_share: float | None  # None: the meter has no energy (or no published results)
    gaps: list[Gap]  # the first MAX_GAPS, in time order
    gap_count: int
    gap_seconds: float
    samples: int  # in the period
    unusable: int  # samples of quality bad or stale


@dataclass(frozen=True)
class DeviceQuality:
    device: str
    offline_s: float
    offline_after_s: float  # the stale limit used


@dataclass(frozen=True)
class PeriodQuality:
    period: str
    start_ms: int
    end_ms: int  # the covered part ends here (as of)
    max_gap_s: float
    meters: list[MeterQuality]
    devices: list[DeviceQuality]


@dataclass
class _Runs:
    """Coverage of one timeline: covered time in [lo, hi), and the uncovered stretches."""

    limit_ms: float
    lo: int
    hi: int
    cap: bool  # a sample covers at most limit_ms (offline), or nothing beyond it (gaps)
    running: bool = False  # the period runs on past hi: the next sample may still come
    last: int = -1
    covered: int = 0
    gaps: list[Gap] = field(default_factory=list)
    gap_count: int = 0
    gap_ms: int = 0

    def add(self, ts: np.ndarray) -> None:
        """Sorted, unique timestamps after every one added so far."""
        if not len(ts):
            return
        t0 = ts if self.last < 0 else np.concatenate(([self.last], ts))
        self.last = int(ts[-1])
        if len(t0) < 2:
            return
        a, b = t0[:-1], t0[1:]
        ok = (b - a) <= self.limit_ms
        end = np.minimum(b, a + int(self.limit_ms)) if self.cap else np.where(ok, b, a)
        self.covered += int(np.clip(np.minimum(end, self.hi) - np.maximum(a, self.lo), 0, None).sum())
        for s, e in zip(end[end < b].tolist(), b[end < b].tolist(), strict=True):
            self._gap(s, e)

    def _gap(self, s: int, e: int) -> None:
        s, e = max(s, self.lo), min(e, self.hi)
        if e <= s:
            return
        self.gap_ms += e - s
        if self.gaps and self.gaps[-1].end_ms == s:
            self.gaps[-1] = Gap(self.gaps[-1].start_ms, e)
            return
        self.gap_count += 1
        if len(self.gaps) < MAX_GAPS:
            self.gaps.append(Gap(s, e))

    def finish(self) -> None:
        """The stretches before the first sample and after the last, inside [lo, hi).

        A running period whose last sample is at most the limit before ``hi`` counts that tail
        as covered: the next sample may still come in time (a period reported to date ends a
        poll after the newest sample). A longer silence is a gap whatever comes next."""
        if self.last < 0:
            self._gap(self.lo, self.hi)
            return
        if self.cap:
            tail = self.last + int(self.limit_ms)
        else:
            tail = self.hi if self.running and self.hi - self.last <= self.limit_ms else self.last
        self.covered += max(0, min(tail, self.hi) - max(self.last, self.lo))
        self._gap(tail, self.hi)


class QualityTracker:
    """Coverage, gaps and offline time of a period, fed page by page."""

    def __init__(self, plant: PlantCfg, period: Period, as_of_ms: int) -> None:
        self.plant = plant
        self.period = period
        self.lo, self.hi = period.start_ms, period.until(as_of_ms)
        gap_ms = plant.engine.max_gap_s * 1000
        self.meters = list(plant.meters)
        self._meter_of = {(m.device, m.point): i for i, m in enumerate(self.meters)}
        running = self.hi < period.end_ms
        self.good = [_Runs(gap_ms, self.lo, self.hi, cap=False, running=running) for _ in self.meters]
        self.samples = [0] * len(self.meters)
        self.unusable = [0] * len(self.meters)
        self.devices = sorted({m.device for m in self.meters})
        self.offline_after = {d: _offline_after_s(plant, d) for d in self.devices}
        self.seen = {d: _Runs(self.offline_after[d] * 1000, self.lo, self.hi, cap=True) for d in self.devices}
        self._finished = False

    def _meter(self, k: SeriesKey) -> int:
        if k.measurement != MEASUREMENT_TELEMETRY or k.site != self.plant.site.id:
            return -1
        return self._meter_of.get((k.device, k.field), -1)

    def observe(self, page: RawPage) -> None:
        """One raw page (pages in time order)."""
        if not len(page):
            return
        series = np.frombuffer(page.series, dtype=np.dtype("l"))
        ts = np.frombuffer(page.ts, dtype=np.int64)
        qual = np.frombuffer(page.quality, dtype=np.uint8)
        meter_of = np.array([self._meter(k) for k in page.keys], dtype=np.int64)[series]
        inside = (ts >= self.lo) & (ts < self.hi)
        for i in np.unique(meter_of[meter_of >= 0]).tolist():
            mine = meter_of == i
            self.samples[i] += int(np.count_nonzero(mine & inside))
            self.unusable[i] += int(np.count_nonzero(mine & inside & ((qual == 1) | (qual == 2))))
            self.good[i].add(np.unique(ts[mine & (qual == 0)]))
        for d in {self.meters[i].device for i in np.unique(meter_of[meter_of >= 0]).tolist()}:
            own = np.isin(meter_of, [i for i, m in enumerate(self.meters) if m.device == d])
            self.seen[d].add(np.unique(ts[own]))

    def result(self, ledger: Ledger | None = None) -> PeriodQuality:
        """The period's quality; ``ledger`` supplies the engine's estimated shares."""
        if not self._finished:
            for r in [*self.good, *self.seen.values()]:
                r.finish()
            self._finished = True
        span = max(self.hi - self.lo, 1)
        est = _estimated_shares(self.plant, ledger) if ledger is not None else {}
        meters = [
            MeterQuality(
                m.id,
                m.device,
                m.point,
                self.good[i].covered / span,
                est.get(m.id),
                self.good[i].gaps,
                self.good[i].gap_count,
                self.good[i].gap_ms / 1000,
                self.samples[i],
                self.unusable[i],
            )
            for i, m in enumerate(self.meters)
        ]
        devices = [DeviceQuality(d, self.seen[d].gap_ms / 1000, self.offline_after[d]) for d in self.devices]
        return PeriodQuality(self.period.key, self.lo, self.hi, self.plant.engine.max_gap_s, meters, devices)


async def ledger_with_quality(
    plant: PlantCfg, library: FactorLibrary, reader: StoreReader, period: Period, as_of_ms: int
) -> tuple[Ledger, PeriodQuality]:
    """The period's ledger recomputed from the store and its data quality, in one read."""
    tracker = QualityTracker(plant, period, as_of_ms)
    ledger = await ledger_from_store(plant, library, reader, period, as_of_ms, on_page=tracker.observe)
    return ledger, tracker.result(ledger)


def _offline_after_s(plant: PlantCfg, device: str) -> float:
    """The live view's stale limit for a device: 3 x its slowest poll interval, at least 30 s."""
    if plant.engine.stale_after_s is not None:
        return plant.engine.stale_after_s
    polls = [m.poll_interval_s or 0.0 for m in plant.meters if m.device == device]
    return max(MIN_STALE_S, POLLS_BEFORE_STALE * max(polls, default=0.0))


def _estimated_shares(plant: PlantCfg, ledger: Ledger) -> dict[str, float]:
    """Meter id -> energy-weighted estimated share of its hours (meters with energy only)."""
    site = plant.site.id
    paths = {f"{site}/{m.node}/{m.id}" if m.node else f"{site}/{m.id}": m.id for m in plant.meters}
    est: dict[str, list[float]] = {}
    energy: dict[str, list[float]] = {}
    for r in ledger.hours:
        meter = paths.get(r.node)
        if meter is None:
            continue
        e = r.values.get("energy_kwh", 0.0)
        energy.setdefault(meter, []).append(e)
        est.setdefault(meter, []).append(e * r.values.get("estimated_share", 0.0))
    out = {}
    for meter, es in energy.items():
        total = math.fsum(es)
        if total > 0:
            out[meter] = math.fsum(est[meter]) / total
    return out
