"""Deterministic, seedable plant scenario: a clock, integrated counters and counter events.

Instantaneous values come from :mod:`simulators.profiles` (pure functions of time). Counters
are integrated with the trapezoid rule on a fixed grid of simulated time, plus the partial
step up to the requested time, so a counter at time t does not depend on how often or when
``advance`` was called: same seed and start give the same series. Pure Python, no I/O.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from simulators.profiles import HOUR, Rates, rates_at, shift_index

WRAP = 2**32


class Counters(NamedTuple):
    """Cumulative quantities: energy kWh, gas Nm3, steam t, production units this shift."""

    grid_kwh: float
    line1_kwh: float
    line2_kwh: float
    pv_kwh: float
    line1_gas_nm3: float
    line2_gas_nm3: float
    line1_steam_t: float
    line2_steam_t: float
    line1_units: float
    line2_units: float


PRODUCTION_FIELDS = (8, 9)  # indexes of the per-shift production counters

INITIAL = Counters(48_210.0, 20_530.0, 15_230.0, 183_400.0, 52_000.0, 31_500.0, 8_400.0, 5_100.0, 0, 0)


def flows(r: Rates) -> Counters:
    """The per-hour rate of every counter (kW, Nm3/h, t/h, units/h)."""
    return Counters(
        r.grid_kw,
        r.line1.kw,
        r.line2.kw,
        r.pv_kw,
        r.line1.gas_nm3_h,
        r.line2.gas_nm3_h,
        r.line1.steam_t_h,
        r.line2.steam_t_h,
        r.line1.units_per_h,
        r.line2.units_per_h,
    )


@dataclass(frozen=True, slots=True)
class CounterEvent:
    """line2-meter import energy register: reset to 0, or wrap past 2**32, at ``at_s``.

    ``at_s`` is in simulated seconds after the scenario start.
    """

    kind: Literal["reset", "wrap"]
    at_s: float

    def __post_init__(self) -> None:
        if self.kind not in ("reset", "wrap") or self.at_s < 0:
            raise ValueError(f"counter event needs kind reset|wrap and at_s >= 0, got {self}")


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    """What makes a scenario reproducible: seed, start (epoch s, UTC), site time zone."""

    start: float
    seed: int = 1
    timezone: str = "Asia/Shanghai"
    step_s: float = 2.0
    counter_event: CounterEvent | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Plant state at one simulated time: instantaneous values and counters."""

    rates: Rates
    counters: Counters
    line2_register_wh: int

    @property
    def t(self) -> float:
        return self.rates.t


class ScenarioClock:
    """Simulated time = start + elapsed real time * speed (speed 0 freezes the clock)."""

    def __init__(
        self, start: float, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.start = start
        self.speed = speed
        self._mono = monotonic
        self._t0 = monotonic()

    def now(self) -> float:
        """Current simulated time, epoch seconds UTC."""
        return self.start + (self._mono() - self._t0) * self.speed

    def elapsed(self) -> float:
        """Simulated seconds since start."""
        return self.now() - self.start


def _integrate(c: Counters, f0: Counters, f1: Counters, dt: float) -> list[float]:
    h = dt / HOUR
    return [ci + (a + b) * 0.5 * h for ci, a, b in zip(c, f0, f1, strict=True)]


class Scenario:
    """Advance the plant in simulated time and read consistent snapshots."""

    def __init__(self, config: ScenarioConfig) -> None:
        self.config = config
        self._tz = ZoneInfo(config.timezone)
        self._t = config.start
        self._rates = rates_at(config.seed, config.start, self._tz)
        self._flows = flows(self._rates)
        self._counters = self._initial_counters(self._rates)
        self._event_kwh = self._event_baseline(config)
        self.last = self._snapshot(self._rates, self._counters)

    def _initial_counters(self, r: Rates) -> Counters:
        # Production so far this shift, as if the line had run at ~90 % of its rate.
        since_h = ((r.local_s - 6 * HOUR) % (8 * HOUR)) / HOUR
        return INITIAL._replace(line1_units=math.floor(since_h * 1000), line2_units=math.floor(since_h * 650))

    @staticmethod
    def _event_baseline(config: ScenarioConfig) -> float | None:
        """line2 energy (kWh) at the event time, from a scratch run of the same scenario."""
        if config.counter_event is None:
            return None
        scratch = Scenario(dataclasses.replace(config, counter_event=None))
        return scratch.advance(config.start + config.counter_event.at_s).counters.line2_kwh

    def _step_to(self, t1: float, r1: Rates) -> Counters:
        """Counters at ``t1`` integrated from the last grid point (production resets at shifts)."""
        f1 = flows(r1)
        out = _integrate(self._counters, self._flows, f1, t1 - self._t)
        if shift_index(r1.local_s) != shift_index(self._rates.local_s):
            since = (r1.local_s - 6 * HOUR) % (8 * HOUR)
            for i in PRODUCTION_FIELDS:
                out[i] = f1[i] * min(since, t1 - self._t) / HOUR
        return Counters(*out)

    def advance(self, t: float) -> Snapshot:
        """Move to simulated time ``t`` (never backwards) and return the snapshot there."""
        t = max(t, self.last.t)
        step = self.config.step_s
        seed = self.config.seed
        while self._t + step <= t:
            t1 = self._t + step
            r1 = rates_at(seed, t1, self._tz)
            self._counters = self._step_to(t1, r1)
            self._t, self._rates, self._flows = t1, r1, flows(r1)
        r = rates_at(seed, t, self._tz)
        self.last = self._snapshot(r, self._step_to(t, r) if t > self._t else self._counters)
        return self.last

    def _snapshot(self, r: Rates, c: Counters) -> Snapshot:
        return Snapshot(r, c, self._line2_register(r.t, c.line2_kwh))

    def _line2_register(self, t: float, kwh: float) -> int:
        event = self.config.counter_event
        if event is None or self._event_kwh is None:
            return math.floor(kwh * 1000) % WRAP
        since_event = math.floor((kwh - self._event_kwh) * 1000)
        if event.kind == "wrap":
            return since_event % WRAP
        if t >= self.config.start + event.at_s:
            return max(0, since_event)
        return math.floor(kwh * 1000) % WRAP
