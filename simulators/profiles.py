"""Instantaneous plant values as a pure function of (seed, simulated time).

Shifts, line states, load following production, PV following daylight with seeded clouds,
gas and steam following the line state. Counters are integrated from these in scenario.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from simulators.noise import smooth_noise, unit_noise

HOUR = 3600.0
DAY = 86400.0
SHIFT_S = 8 * HOUR
FIRST_SHIFT_S = 6 * HOUR  # shifts start 06:00, 14:00, 22:00 local time
CHANGEOVER_S = 600.0  # lines stand idle for 10 minutes at each shift change
STATE_BUCKET_S = 300.0

IDLE, RUNNING, FAULT = 0, 1, 2
STOPPED = 3  # only in the PLC's text state: the changeover at a shift start (numerically IDLE)
STATE_NAMES = {IDLE: "idle", RUNNING: "running", FAULT: "fault", STOPPED: "stopped"}


@dataclass(frozen=True, slots=True)
class LineProfile:
    """Nominal figures of one production line (kW, units/h, Nm3/h, t/h)."""

    channel: int
    kw_min: float
    kw_span: float
    units_per_h: float
    gas_base: float
    gas_span: float
    steam_base: float
    steam_span: float

    @property
    def kw_nominal(self) -> float:
        return self.kw_min + self.kw_span / 2


LINE1 = LineProfile(1, 300.0, 150.0, 1200.0, 60.0, 40.0, 2.0, 1.0)
LINE2 = LineProfile(2, 200.0, 100.0, 800.0, 35.0, 25.0, 1.2, 0.6)


@dataclass(frozen=True, slots=True)
class LineValues:
    """Instantaneous values of one line."""

    state: int
    kw: float
    pf: float
    units_per_h: float
    gas_nm3_h: float
    steam_t_h: float


@dataclass(frozen=True, slots=True)
class Rates:
    """Every instantaneous value of the plant at simulated time ``t`` (epoch seconds, UTC)."""

    t: float
    local_s: float
    line1: LineValues
    line2: LineValues
    base_kw: float
    pv_kw: float
    grid_kw: float
    phase_v: tuple[float, float, float]
    line2_v: float
    ambient_c: float


def local_seconds(t: float, tz: ZoneInfo) -> float:
    """Seconds since the epoch shifted into the site's local wall-clock time."""
    offset = datetime.fromtimestamp(t, tz).utcoffset()
    return t + (offset.total_seconds() if offset else 0.0)


def shift_index(local_s: float) -> int:
    """Number of the shift running at ``local_s`` (changes at 06:00, 14:00, 22:00)."""
    return math.floor((local_s - FIRST_SHIFT_S) / SHIFT_S)


def seconds_into_shift(local_s: float) -> float:
    return (local_s - FIRST_SHIFT_S) % SHIFT_S


def line_state(seed: int, line: LineProfile, t: float, local_s: float) -> int:
    """Idle at changeover, else seeded: ~3 % of 5-minute slots faulted, ~5 % idle."""
    if seconds_into_shift(local_s) < CHANGEOVER_S:
        return IDLE
    u = unit_noise(seed, 10 + line.channel, math.floor(t / STATE_BUCKET_S))
    if u < 0.03:
        return FAULT
    if u < 0.08:
        return IDLE
    return RUNNING


def text_state(state: int, local_s: float) -> int:
    """The state a PLC shows as text: ``STOPPED`` during the changeover, else ``state``."""
    return STOPPED if seconds_into_shift(local_s) < CHANGEOVER_S else state


def line_values(seed: int, line: LineProfile, t: float, local_s: float) -> LineValues:
    """Load, power factor, output, gas and steam of one line; all follow its state."""
    state = line_state(seed, line, t, local_s)
    activity = smooth_noise(seed, 20 + line.channel, t, 60.0)
    if state == RUNNING:
        return LineValues(
            state,
            line.kw_min + line.kw_span * activity,
            0.90 + 0.06 * activity,
            line.units_per_h * (0.8 + 0.4 * activity),
            line.gas_base + line.gas_span * activity,
            line.steam_base + line.steam_span * activity,
        )
    share = 0.15 if state == IDLE else 0.10
    kw = line.kw_nominal * share * (0.95 + 0.1 * activity)
    gas = line.gas_base * (0.12 if state == IDLE else 0.03)
    steam = line.steam_base * (0.15 if state == IDLE else 0.05)
    return LineValues(state, kw, 0.80, 0.0, gas, steam)


def pv_kw(seed: int, t: float, local_s: float) -> float:
    """Sine between 06:00 and 18:00 local time, peak 250 kW, dimmed by seeded clouds."""
    hour = (local_s % DAY) / HOUR
    if not 6.0 < hour < 18.0:
        return 0.0
    daylight = math.sin(math.pi * (hour - 6.0) / 12.0)
    cloud = smooth_noise(seed, 40, t, 300.0) ** 2
    return 250.0 * daylight * (1.0 - 0.7 * cloud)


def rates_at(seed: int, t: float, tz: ZoneInfo) -> Rates:
    """All instantaneous values at ``t``; a pure function of its arguments."""
    local_s = local_seconds(t, tz)
    l1 = line_values(seed, LINE1, t, local_s)
    l2 = line_values(seed, LINE2, t, local_s)
    base = 40.0 + 4.0 * (smooth_noise(seed, 30, t, 120.0) - 0.5)
    pv = pv_kw(seed, t, local_s)
    phase_v = (
        230.0 + 3.0 * (smooth_noise(seed, 50, t, 30.0) - 0.5),
        230.0 + 3.0 * (smooth_noise(seed, 51, t, 30.0) - 0.5),
        230.0 + 3.0 * (smooth_noise(seed, 52, t, 30.0) - 0.5),
    )
    # line2 is fed at 690 V line-to-line: its meter stores current as int16 x100, which
    # caps it at 327.67 A, so the line cannot be a 400 V feeder drawing ~450 A.
    line2_v = 690.0 + 6.0 * (smooth_noise(seed, 53, t, 30.0) - 0.5)
    hour = (local_s % DAY) / HOUR
    ambient = 22.0 + 6.0 * math.sin(2 * math.pi * (hour - 9.0) / 24.0)
    grid = max(0.0, l1.kw + l2.kw + base - pv)
    return Rates(t, local_s, l1, l2, base, pv, grid, phase_v, line2_v, ambient)
