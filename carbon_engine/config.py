"""The plant model file (TOML): site, areas and lines, meters, contracts and alert rules.

``load_plant(path)`` validates it once at start-up; every fault becomes one line that names
the file, the key and the problem. ``check(path)`` returns those lines for ``zcf check``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from carbon_engine.accounts.config import AccountsCfg
from carbon_engine.config_checks import cross_check
from iiot_core import topics
from iiot_core.config_loader import load_toml
from iiot_core.errors import ConfigError

if TYPE_CHECKING:
    from carbon_engine.factors import FactorLibrary

Carrier = Literal[
    "electricity", "natural_gas", "diesel", "lpg", "coal", "steam", "heat", "hydrogen", "product"
]
Role = Literal["grid_import", "grid_export", "generation", "consumption", "production"]
Method = Literal["counter", "power"]
WindowName = Literal["1m", "15m", "1h", "1d"]
_STATE_NAME = re.compile(r"^[a-z0-9_]{1,40}$")
Severity = Literal["info", "warning", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _segment(v: str) -> str:
    topics.check_segment(v, "id")
    if v.startswith("_"):
        raise ValueError("ids starting with '_' are reserved")
    return v


class LineStateCfg(_Strict):
    """The telemetry point that tells a line's state, and which of its states count as idle.

    ``states`` names the codes the point carries (as the edge agent's point ``states``);
    ``idle`` the states whose energy is idle energy (default: those of idle and stopped it has);
    a state holds until the next sample, at most ``hold_s`` (default: ``engine.max_gap_s``).
    """

    device: str
    point: str
    states: dict[str, int]
    idle: list[str] | None = None
    hold_s: float | None = Field(default=None, gt=0)

    @field_validator("states")
    @classmethod
    def _states(cls, v: dict[str, int]) -> dict[str, int]:
        if not v:
            raise ValueError("name at least one state")
        for name in v:
            if not _STATE_NAME.match(name) or name == "unknown":
                raise ValueError(
                    f"state name {name!r}: lower-case letters, digits and '_' only "
                    "(it names output points), and not 'unknown' (reserved)"
                )
        codes = list(v.values())
        if len(set(codes)) != len(codes):
            raise ValueError("two states share one code")
        return v

    @model_validator(mode="after")
    def _idle(self) -> LineStateCfg:
        missing = [n for n in self.idle or [] if n not in self.states]
        if missing:
            raise ValueError(f"idle names {missing} that are not states ({', '.join(self.states)})")
        if self.idle is None and not self.idle_states:
            raise ValueError("no state is called idle or stopped: say which are idle (idle = [...])")
        return self

    @property
    def idle_states(self) -> list[str]:
        if self.idle is not None:
            return self.idle
        return [n for n in ("idle", "stopped") if n in self.states]


class LineCfg(_Strict):
    id: str
    label_en: str = ""
    label_zh: str = ""
    state: LineStateCfg | None = None

    _id = field_validator("id")(_segment)


class AreaCfg(_Strict):
    id: str
    label_en: str = ""
    label_zh: str = ""
    lines: list[LineCfg] = []

    _id = field_validator("id")(_segment)


class SiteCfg(_Strict):
    id: str
    label_en: str = ""
    label_zh: str = ""
    timezone: str = "Asia/Shanghai"
    grid_region: str = "national"
    # How self-consumed on-site renewables count in location-based Scope 2: at the grid
    # average like any consumed kWh ("grid_average"), or at zero ("zero", GHG Protocol reading).
    # Market-based Scope 2 always counts them at zero.
    onsite_location_based: Literal["grid_average", "zero"] = "grid_average"
    factors: str | None = None  # site factor file overriding the defaults, relative to the plant file
    # Which year's grid factors apply: the one in force at the activity time ("activity"), the
    # newest published ("latest", e.g. 2023 factors for 2022 data too) or one year for all (2023).
    grid_factor_year: Literal["latest", "activity"] | Annotated[int, Field(ge=1990, le=2100)] = "activity"

    _id = field_validator("id")(_segment)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


class EngineCfg(_Strict):
    allowed_lateness_s: float = Field(default=3600, ge=0, le=7 * 86400)
    publish_delay_s: float = Field(default=5, ge=0, le=3600)
    idle_close_s: float = Field(default=120, gt=0)
    max_gap_s: float = Field(default=300, gt=0)  # power integration stops across longer gaps
    # A source clock running ahead cannot push the watermark past the engine clock by more.
    max_clock_skew_s: float = Field(default=300, ge=0)
    publish_meters: bool = True
    snapshot_interval_s: float = Field(default=10, gt=0)
    # The journal is written before a message is acknowledged: that survives a crash of the
    # process; with fsync it survives a power cut too, at one fsync per acknowledged batch.
    journal_fsync: bool = False
    live_interval_s: float = Field(default=1, gt=0)
    # Live values older than this are marked stale; unset: per node, 3 x the slowest
    # poll_interval_s of its meters, at least 30 s (carbon_engine/freshness.py).
    stale_after_s: float | None = Field(default=None, gt=0)
    windows: list[WindowName] = ["1m", "15m", "1h", "1d"]
    # Plausibility guard of meters without max_rate (carbon_engine/guard.py): this many times
    # the highest 1-minute rate of the last day, never below the meter's rated_kw, or for a
    # meter without one, this floor (kW, or its energy equivalent for other carriers).
    plausibility_factor: float = Field(default=10, gt=1)
    plausibility_floor_kw: float = Field(default=1000, gt=0)
    # The data-plausibility alert clears once a meter had no suspect reading for this long.
    plausibility_clear_s: float = Field(default=900, gt=0)
    # The data-coverage alert: a meter whose share of a window backed by good samples is below
    # min_coverage (0 turns it off), judged on coverage_window (or the smallest window kept).
    min_coverage: float = Field(default=0.9, ge=0, le=1)
    coverage_window: WindowName = "15m"


class MeterCfg(_Strict):
    """One measured channel: which telemetry point measures which carrier for which node."""

    id: str
    device: str
    point: str
    role: Role = "consumption"
    carrier: Carrier | None = None
    node: str = ""  # "" = the site, "area" or "area/line"
    method: Method = "counter"
    unit: str | None = None  # of the telemetry point; defaults to the carrier's base unit
    parent: str | None = None  # the meter this one is a sub-meter of (or, for generation, sits behind)
    # Plausible maximum: a counter's unit per hour; a power channel's power, in its unit.
    max_rate: float | None = Field(default=None, gt=0)
    # Rated (nameplate) power in kW - for other carriers its energy equivalent, e.g. Nm3/h x NCV:
    # the least the plausibility guard allows a meter without max_rate, instead of the floor.
    rated_kw: float | None = Field(default=None, gt=0)
    rollover: float | None = Field(default=None, gt=0)  # counter wraps to 0 at this value (in unit)
    variant: str | None = None  # factor variant: fuel grade or hydrogen route
    enthalpy_kj_per_kg: float | None = Field(default=None, gt=0)  # steam only
    # How often the edge agent reads (or the device pushes) this point: sets when live values go stale.
    poll_interval_s: float | None = Field(default=None, gt=0)
    label_en: str = ""
    label_zh: str = ""

    _id = field_validator("id")(_segment)

    @model_validator(mode="after")
    def _carrier_for_role(self) -> MeterCfg:
        if self.role == "production":
            if self.carrier not in (None, "product"):
                raise ValueError("a production counter has carrier 'product' (or none)")
        elif self.carrier is None:
            raise ValueError("carrier is required for an energy meter")
        elif self.carrier == "product":
            raise ValueError("carrier 'product' needs role 'production'")
        if self.role in ("grid_import", "grid_export", "generation") and self.carrier != "electricity":
            raise ValueError(f"role {self.role!r} needs carrier 'electricity'")
        if self.rollover is not None and self.method != "counter":
            raise ValueError("rollover applies to counters only")
        if self.rated_kw is not None and self.role == "production":
            raise ValueError("rated_kw applies to energy meters (a production counter takes max_rate)")
        return self

    @property
    def kind(self) -> Carrier:
        return self.carrier or "product"


class PeriodCfg(_Strict):
    start: dt.date
    end: dt.date  # inclusive, site local dates
    volume_mwh: float | None = Field(default=None, ge=0)
    certificates: int | None = Field(default=None, ge=0)  # GEC: 1 certificate = 1 MWh
    # The certificates' serial number or range as issued (e.g. "GEC-2026-000101..000600"):
    # a serial appears once in a plant file, so a certificate cannot be retired twice here.
    serial: str = ""

    @model_validator(mode="after")
    def _volume(self) -> PeriodCfg:
        if (self.volume_mwh is None) == (self.certificates is None):
            raise ValueError("give exactly one of volume_mwh or certificates")
        if self.end < self.start:
            raise ValueError("end is before start")
        return self

    @property
    def mwh(self) -> float:
        return float(self.certificates) if self.certificates is not None else float(self.volume_mwh or 0)


class ContractCfg(_Strict):
    """A green-power instrument: GECs retired, a PPA or green-power trading volume per period."""

    id: str
    kind: Literal["gec", "ppa", "green_power_trading"]
    label: str = ""
    registry: str = ""  # where the certificates are issued and retired (GEC: the national platform)
    # Delivery by site-local hour (24 weights) of a PPA or green-power trade: each period's
    # volume is spread over its hours by these weights for the hourly-matching score.
    # Unbundled GECs deliver no electricity at any hour, so they take no profile.
    hourly_profile: list[float] | None = Field(default=None, min_length=24, max_length=24)
    periods: list[PeriodCfg]

    @model_validator(mode="after")
    def _profile(self) -> ContractCfg:
        p = self.hourly_profile
        if p is None:
            return self
        if self.kind == "gec":
            raise ValueError("hourly_profile: an unbundled GEC delivers no electricity by the hour")
        if any(not math.isfinite(w) or w < 0 for w in p) or not any(w > 0 for w in p):
            raise ValueError("hourly_profile: 24 non-negative numbers, not all zero")
        return self


class _Rule(_Strict):
    id: str
    severity: Severity = "warning"
    # Shown with the alert; empty: the engine's own text for the rule's kind. The dashboard
    # shows message_zh in Chinese (the built-in Chinese text where it is empty).
    message: str = ""
    message_zh: str = ""

    _id = field_validator("id")(_segment)


class ThresholdRule(_Rule):
    kind: Literal["threshold"]
    node: str = ""
    point: str
    window: Literal["1m", "15m", "1h", "1d", "live"] = "1m"
    above: float | None = None
    below: float | None = None
    hysteresis: float = Field(default=0, ge=0)
    hold_s: float = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _one_side(self) -> ThresholdRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self


class RateRule(_Rule):
    kind: Literal["rate_of_change"]
    node: str = ""
    point: str
    window: Literal["1m", "15m", "1h", "1d"] = "1m"
    max_change: float = Field(gt=0)  # absolute change between consecutive windows
    hysteresis: float = Field(default=0, ge=0)


class StaleRule(_Rule):
    kind: Literal["stale"]
    device: str = "*"  # "*": every device the plant has meters on
    stale_s: float = Field(default=120, gt=0)


class OfflineRule(_Rule):
    kind: Literal["offline"]
    device: str = "*"  # a device, an edge agent ("agent:NAME"), or "*" for all


class BudgetRule(_Rule):
    kind: Literal["budget"]
    node: str = ""
    point: str = "scope2_market_kg"
    budget: float = Field(gt=0)  # per site-local day, in the point's unit
    min_elapsed_s: float = Field(default=3600, ge=0)
    hysteresis: float = Field(default=0.02, ge=0, lt=1)  # fraction of the budget


AlertRule = Annotated[
    ThresholdRule | RateRule | StaleRule | OfflineRule | BudgetRule, Field(discriminator="kind")
]


class PlantCfg(_Strict):
    site: SiteCfg
    engine: EngineCfg = EngineCfg()
    areas: list[AreaCfg] = []
    meters: list[MeterCfg]
    contracts: list[ContractCfg] = []
    alerts: list[AlertRule] = []
    accounts: AccountsCfg = AccountsCfg()


def load_plant(path: str | Path) -> PlantCfg:
    """Load and fully validate a plant file; raise ConfigError listing every fault."""
    p = Path(path)
    cfg = load_toml(PlantCfg, p)
    problems = [f"{p}: {line}" for line in cross_check(cfg)]
    if problems:
        raise ConfigError(problems)
    return cfg


def factor_file(cfg: PlantCfg, plant_path: str | Path) -> Path | None:
    """The site factor override file, resolved against the plant file's folder."""
    if cfg.site.factors is None:
        return None
    f = Path(cfg.site.factors)
    return f if f.is_absolute() else Path(plant_path).parent / f


def library_of(cfg: PlantCfg, plant_path: str | Path) -> FactorLibrary:
    """The factor library of a plant: defaults, its site file, its region and grid-factor year."""
    from carbon_engine.factors import load_library  # local: keep config import light

    s = cfg.site
    return load_library(
        s.timezone, factor_file(cfg, plant_path), s.grid_region, str(plant_path), s.grid_factor_year
    )


def check(path: str | Path) -> list[str]:
    """Every fault of a plant file (and its factor, supplier and target files), one line each."""
    from carbon_engine.config_report import report  # local: it imports this module

    return report(path)
