"""The plant file's ``[accounts]`` section: what period reports compare against.

Everything here is optional: a report without a base year, targets or offsets says what is
missing instead of failing. Paths are relative to the plant file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The indicators a target can name (carbon_engine/accounts/indicators.py computes them).
INDICATOR_IDS = (
    "renewable_share_electricity",  # (self-consumed + covered) / electricity, period matching
    "renewable_share_hourly",  # hourly-matching score
    "renewable_share_energy",  # renewable electricity in tce / comprehensive energy in tce
    "carbon_per_energy",  # tCO2/tce
    "carbon_per_unit",  # kgCO2/unit
    "energy_per_unit",  # kgce/unit
    "reduction_t",  # emissions reduction versus the base year, tCO2 (full years only)
    "reduction_share",  # the same as a share of the base year
    "reduction_per_unit",  # reduction of emissions per unit versus the base year, kgCO2/unit
    "reduction_per_unit_share",  # the same as a share of the base year's
    "footprint_reduction",  # key product footprint per unit versus the base year (footprint.py)
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BaseYearCfg(_Strict):
    """The base-year inventory, entered from its verified report (it may predate this system)."""

    year: int = Field(ge=1990, le=2100)
    energy_tce: float | None = Field(default=None, ge=0)
    scope1_t: float | None = Field(default=None, ge=0)
    scope2_location_t: float | None = Field(default=None, ge=0)
    scope2_market_t: float | None = Field(default=None, ge=0)
    units: float | None = Field(default=None, ge=0)  # site production, product units
    source: str = ""  # where the figures come from (report, verifier, date)


class TargetCfg(_Strict):
    """One indicator's target: the value must be at most ``max`` or at least ``min``."""

    indicator: str
    max: float | None = None
    min: float | None = None
    note: str = ""

    @field_validator("indicator")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in INDICATOR_IDS:
            raise ValueError(f"unknown indicator {v!r} (known: {', '.join(INDICATOR_IDS)})")
        return v

    @model_validator(mode="after")
    def _one_side(self) -> TargetCfg:
        if (self.max is None) == (self.min is None):
            raise ValueError("give exactly one of max or min")
        return self


class TargetSetCfg(_Strict):
    """A named set of indicator targets (e.g. a province's 2027 values, or the site's own)."""

    name: str
    source: str = ""
    targets: list[TargetCfg] = []

    @model_validator(mode="after")
    def _once(self) -> TargetSetCfg:
        ids = [t.indicator for t in self.targets]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"indicator given twice: {', '.join(twice)}")
        return self


class TargetFileCfg(_Strict):
    """A file of target sets (``target_sets.toml`` ships the Hunan 2027/2030/2035 values)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_version: int = Field(default=1, alias="schema")
    target_set: list[TargetSetCfg]


class QuotaCfg(_Strict):
    """An energy-consumption quota per product unit (limit / access / advanced of a 能耗限额 standard)."""

    node: str  # "area/line" (or "" for the site) whose units the quota applies to
    product: str = ""
    standard: str = ""  # e.g. the GB number and edition, as entered by the user
    unit: Literal["kgce/unit", "kWh/unit"] = "kgce/unit"
    limit: float | None = Field(default=None, gt=0)  # 限定值: the most an existing plant may use
    access: float | None = Field(default=None, gt=0)  # 准入值: for new and expanded plants
    advanced: float | None = Field(default=None, gt=0)  # 先进值: the best practice

    @model_validator(mode="after")
    def _levels(self) -> QuotaCfg:
        given = [v for v in (self.advanced, self.access, self.limit) if v is not None]
        if not given:
            raise ValueError("give at least one of limit, access or advanced")
        if given != sorted(given):
            raise ValueError("levels must satisfy advanced <= access <= limit")
        return self


class OffsetRuleCfg(_Strict):
    """When offsets may be applied (reduce first): the rule a period must pass to be net zero."""

    file: str | None = None  # the offsets ledger file (JSON lines), relative to the plant file
    require_reduction: bool = True  # offsets only if gross emissions fell versus the base year
    max_share: float = Field(default=1.0, ge=0, le=1)  # offsets at most this share of ...
    # ... the period's gross emissions (below 1, a period with any gross cannot reach net zero:
    # the strict reading), or the base year's gross for a period of that length (residual
    # emissions neutralised up to a share of the base year, as net-zero standards put it).
    share_of: Literal["gross", "base_year"] = "gross"


class MaterialCfg(_Strict):
    material: str
    supplier: str  # the supplier file's id
    kg_per_unit: float = Field(ge=0)


class FootprintCfg(_Strict):
    """Cradle-to-gate footprint of one line's product."""

    node: str  # "area/line"
    product: str = ""
    materials: list[MaterialCfg] = []
    base_kg_per_unit: float | None = Field(default=None, ge=0)  # base-year footprint per unit


class AccountsCfg(_Strict):
    base_year: BaseYearCfg | None = None
    # The target set the indicators are judged against: the name of a set in ``targets``, of a
    # shipped set (``target_sets.toml``: "hunan-2027", "hunan-2030", "hunan-2035"), or a target
    # file relative to the plant file ("file.toml", or "file.toml#name" when it holds several).
    target_set: str | None = None
    targets: list[TargetSetCfg] = []
    quotas: list[QuotaCfg] = []
    offsets: OffsetRuleCfg = OffsetRuleCfg()
    suppliers: list[str] = []  # supplier footprint files, relative to the plant file
    footprints: list[FootprintCfg] = []
