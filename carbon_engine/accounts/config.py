"""The plant file's ``[accounts]`` section: what period reports compare against.

Everything here is optional: a report without a base year, targets or offsets says what is
missing instead of failing. Paths are relative to the plant file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class TargetSetCfg(_Strict):
    """A named set of indicator targets (e.g. a province's 2027 values, or the site's own)."""

    name: str
    source: str = ""
    targets: list[TargetCfg] = []


class QuotaCfg(_Strict):
    """An energy-consumption quota per product unit (limit / access / advanced of a 能耗限额 standard)."""

    node: str  # "area/line" (or "" for the site) whose units the quota applies to
    product: str = ""
    standard: str = ""  # e.g. the GB number and edition, as entered by the user
    unit: Literal["kgce/unit", "kWh/unit"] = "kgce/unit"
    limit: float | None = Field(default=None, gt=0)
    access: float | None = Field(default=None, gt=0)
    advanced: float | None = Field(default=None, gt=0)


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
    targets: list[TargetSetCfg] = []
    quotas: list[QuotaCfg] = []
    offsets: OffsetRuleCfg = OffsetRuleCfg()
    suppliers: list[str] = []  # supplier footprint files, relative to the plant file
    footprints: list[FootprintCfg] = []
