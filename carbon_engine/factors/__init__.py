"""The emission-factor library: versioned data (``default_factors.toml``), overridable per site.

A factor is chosen per carrier, kind and variant at the event time of each minute; every
result records the ``id@version`` of the factors that went into it. Which year's grid factors
apply is the site's ``grid_factor_year``: the one in force at the activity (``"activity"``), the
newest published (``"latest"``) or a fixed year (``2023``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from carbon_engine.units import factor_point
from carbon_engine.view import FactorView
from iiot_core.config_loader import read_toml, validate
from iiot_core.errors import ConfigError
from iiot_core.store.lineproto import point_name_problem

DEFAULT_FILE = Path(__file__).with_name("default_factors.toml")
CO2_PER_C = 44.0 / 12.0

GridYear = Literal["latest", "activity"] | int
GRID_KINDS = ("location", "residual_mix", "fossil_only")
FactorKind = Literal[
    "location", "residual_mix", "fossil_only", "combustion", "heat", "upstream", "footprint", "tce"
]
Slot = tuple[str, str, str]  # carrier, kind, variant


class FactorEntry(BaseModel):
    """One factor as written in the library file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    carrier: str
    kind: FactorKind
    variant: str = "default"
    value: float | None = Field(default=None, ge=0)
    unit: str
    source: str
    publication: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    version: str
    note: str = ""
    parameters: dict[str, float] = {}
    hourly: list[float] | None = Field(default=None, min_length=24, max_length=24)

    @model_validator(mode="after")
    def _value(self) -> FactorEntry:
        if self.kind == "combustion":
            missing = {"ncv_gj_per_unit", "carbon_content_tc_per_tj", "oxidation"} - set(self.parameters)
            if missing:
                raise ValueError(f"combustion factor needs parameters {sorted(missing)}")
        elif self.value is None and self.hourly is None:
            raise ValueError("value is required")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        # Results carry id@version as a point name: one ingest would refuse loses the whole result.
        problem = point_name_problem(factor_point(self.tag))
        if problem is not None:
            raise ValueError(f"id@version cannot be carried in results: {problem}")
        return self

    @property
    def computed(self) -> float:
        """The factor: stored value, or NCV x carbon content x oxidation x 44/12 for fuels."""
        if self.kind == "combustion":
            p = self.parameters
            return p["ncv_gj_per_unit"] * p["carbon_content_tc_per_tj"] * p["oxidation"] * CO2_PER_C
        return float(self.value if self.value is not None else 0.0)

    @property
    def tag(self) -> str:
        return f"{self.id}@{self.version}"


class FactorFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: int = Field(default=1, alias="schema")
    factor: list[FactorEntry]


@dataclass(frozen=True, slots=True)
class _Timed:
    from_ms: int
    to_ms: int | None
    entry: FactorEntry


class FactorLibrary:
    """Factors keyed by (carrier, kind, variant), each a time series of entries."""

    def __init__(self, entries: list[FactorEntry], tz: str, grid_year: GridYear = "activity") -> None:
        self.entries = entries
        self.tz = zoneinfo.ZoneInfo(tz)
        self.grid_year = grid_year
        self._slots: dict[Slot, list[_Timed]] = {}
        for e in entries:
            timed = _Timed(self._ms(e.valid_from), self._end_ms(e.valid_to), e)
            self._slots.setdefault((e.carrier, e.kind, e.variant), []).append(timed)
        for lst in self._slots.values():
            lst.sort(key=lambda t: t.from_ms)
        self._starts = {k: [t.from_ms for t in v] for k, v in self._slots.items()}
        # Grid slots under "latest" or a fixed year: one entry, whatever the activity time.
        self._fixed: dict[Slot, FactorEntry | None] = {
            k: self._grid_pick(k) for k in self._slots if k[0] == "electricity" and k[1] in GRID_KINDS
        }

    def _grid_pick(self, slot: Slot) -> FactorEntry | None:
        """The entry ``grid_year`` fixes for a grid slot; None under "activity" or if the year has none."""
        if self.grid_year == "activity":
            return None
        lst = self._slots[slot]
        if self.grid_year == "latest":
            return lst[-1].entry
        year = int(self.grid_year)
        # In force during that year: published for it or before, not withdrawn before it starts.
        hits = [
            t.entry
            for t in lst
            if t.entry.valid_from.year <= year and (t.entry.valid_to is None or t.entry.valid_to.year >= year)
        ]
        return hits[-1] if hits else None

    def year_problem(self, slot: Slot) -> str | None:
        """Why ``grid_year`` leaves ``slot`` without a factor (a fixed year none is valid in), else None."""
        if slot not in self._fixed or self.grid_year in ("activity", "latest") or self._fixed[slot]:
            return None
        years = sorted({t.entry.valid_from.year for t in self._slots[slot]})
        return f"no {slot[1]} factor for {slot[2]!r} is valid in {self.grid_year} (years: {years})"

    def _ms(self, d: dt.date) -> int:
        return int(dt.datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp() * 1000)

    def _end_ms(self, d: dt.date | None) -> int | None:
        return None if d is None else self._ms(d + dt.timedelta(days=1))

    def has(self, slot: Slot) -> bool:
        return slot in self._slots

    def first(self, slot: Slot) -> FactorEntry:
        return self._slots[slot][0].entry

    def select(self, slot: Slot, ts_ms: int) -> FactorEntry:
        """The entry in force at ``ts_ms``: latest ``valid_from`` not after it, else the earliest.

        A grid slot under a fixed ``grid_year`` ("latest" or a year) has one entry for all times."""
        fixed = self._fixed.get(slot)
        if fixed is not None:
            return fixed
        lst = self._slots[slot]
        i = bisect.bisect_right(self._starts[slot], ts_ms) - 1
        while i >= 0:
            t = lst[i]
            if t.to_ms is None or ts_ms < t.to_ms:
                return t.entry
            i -= 1
        return lst[0].entry  # before any validity: the earliest published value stands in

    def value(self, entry: FactorEntry, ts_ms: int) -> float:
        if entry.hourly is None:
            return entry.computed
        hour = dt.datetime.fromtimestamp(ts_ms / 1000, self.tz).hour
        return entry.hourly[hour]

    def matrix(
        self, slots: list[Slot | None], minutes_ms: np.ndarray
    ) -> tuple[np.ndarray, list[list[str | None]]]:
        """Factor values (minutes x slots, 0 for ``None``) and each one's ``id@version`` (or None)."""
        out = np.zeros((len(minutes_ms), len(slots)))
        used: list[list[str | None]] = []
        for u, ts in enumerate(minutes_ms.tolist()):
            tags: list[str | None] = []
            for s, slot in enumerate(slots):
                if slot is None:
                    tags.append(None)
                    continue
                entry = self.select(slot, int(ts))
                out[u, s] = self.value(entry, int(ts))
                tags.append(entry.tag)
            used.append(tags)
        return out, used

    def views(self) -> list[FactorView]:
        return [_view(e) for e in self.entries]


def _view(e: FactorEntry) -> FactorView:
    return FactorView(
        id=e.id,
        carrier=e.carrier,
        kind=e.kind,
        value=e.computed,
        unit=e.unit,
        source=e.source,
        valid_from=e.valid_from.isoformat(),
        valid_to=e.valid_to.isoformat() if e.valid_to else None,
        version=e.version,
        parameters=dict(e.parameters),
    )


def read_factor_file(path: Path) -> list[FactorEntry]:
    """Read and validate one factor file."""
    data = validate(FactorFile, read_toml(path), str(path))
    dupes = sorted({e.id for e in data.factor if [x.id for x in data.factor].count(e.id) > 1})
    if dupes:
        raise ConfigError([f"{path}: factor: duplicate id {d!r}" for d in dupes])
    return data.factor


def load_library(
    tz: str,
    override: Path | None = None,
    region: str | None = None,
    source: str = "plant",
    grid_year: GridYear = "activity",
) -> FactorLibrary:
    """Defaults, then the site's entries (same id replaces, new id adds); checks the region and year."""
    entries = {e.id: e for e in read_factor_file(DEFAULT_FILE)}
    if override is not None:
        entries.update({e.id: e for e in read_factor_file(override)})
    lib = FactorLibrary(list(entries.values()), tz, grid_year)
    if region is not None and not lib.has(("electricity", "location", region)):
        regions = sorted(v for (c, k, v) in lib._slots if c == "electricity" and k == "location")
        raise ConfigError(
            [f"{source}: site.grid_region: no location factor for {region!r} (known: {regions})"]
        )
    grid = [("electricity", "location", region or "national"), ("electricity", "residual_mix", "national")]
    problems = [p for p in map(lib.year_problem, grid) if p is not None]
    if problems:
        raise ConfigError([f"{source}: site.grid_factor_year: {p}" for p in problems])
    return lib
