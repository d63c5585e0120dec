"""Response and request models of the API, mirroring the dataclasses of ``carbon_engine.view``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from carbon_engine.view import AlertState, NodeLevel, Severity


class _Out(BaseModel):
    # from_attributes lets each model validate straight from the engine's frozen dataclasses.
    model_config = ConfigDict(from_attributes=True, frozen=True)


class NodeOut(_Out):
    path: str = Field(description="site, site/area or site/area/line")
    level: NodeLevel
    name: str
    parent: str | None
    label_en: str
    label_zh: str
    children: list[str]
    timezone: str = Field(description="the site's IANA time zone (site node only, else empty)")


class LiveOut(_Out):
    """A node's live values; intensities and shares are null where undefined (no energy, no units)."""

    path: str
    ts: int = Field(
        description="as-of time: ms since the epoch (UTC) of the newest sample of the node's meters"
    )
    power_kw: float = Field(description="electric power, last minute")
    intensity_location_kg_per_kwh: float | None = Field(
        description="Scope 1 + location-based Scope 2 per kWh of all energy (gas, steam in kWh), last minute"
    )
    intensity_market_kg_per_kwh: float | None
    intensity_kg_per_unit: float | None = Field(description="market-based, per unit made, last minute")
    intensity_location_kg_per_unit: float | None
    energy_per_unit_kwh: float | None
    intensity_electricity_location_kg_per_kwh: float | None = Field(
        description="location-based Scope 2 of electricity per kWh of electricity, last minute"
    )
    intensity_electricity_market_kg_per_kwh: float | None
    renewable_share: float | None = Field(description="0..1 of electricity; null without electricity")
    renewable_parts: dict[str, float] = Field(
        description="site only: shares of electricity by source (onsite, gec, ppa, green_power_trading),"
        " last minute; instruments spread evenly over their periods, so an estimate"
    )
    emissions_location_kg_per_h: float = Field(
        description="emitting now: Scope 1 + location-based Scope 2, kgCO2e per hour over the last minute"
    )
    emissions_market_kg_per_h: float
    energy_today_kwh: float
    scope1_today_kg: float
    scope2_location_today_kg: float
    scope2_market_today_kg: float
    emissions_today_location_kg: float = Field(description="Scope 1 + location-based Scope 2 today")
    emissions_today_market_kg: float
    carriers_today: dict[str, float] = Field(
        description="today per carrier in its base unit: electricity_kwh, natural_gas_nm3, steam_t, ..."
    )
    units_today: float | None
    factor_versions: list[str]
    coverage: float | None = Field(
        default=None,
        description="share of the last minute backed by good samples, the lowest of the node's meters"
        " (0..1); null before any of them reported",
    )
    state: str | None = Field(
        default=None, description="a line with a state point: its state at ts ('unknown' if none holds)"
    )
    idle_today_kwh: float | None = Field(
        default=None, description="a line with a state point: energy drawn idle or stopped today"
    )
    idle_share_today: float | None = Field(
        default=None, description="idle_today_kwh over today's energy, 0..1"
    )
    age_s: float | None = Field(description="engine clock minus ts, s; null before the first sample")
    stale: bool = Field(description="age_s over stale_after_s, or no sample yet")
    stale_after_s: float = Field(description="the node's stale limit, s")


class AlertOut(_Out):
    id: str
    rule: str
    node: str
    severity: Severity
    state: AlertState
    message: str
    message_zh: str = Field(description="the message in Chinese")
    value: float | None
    raised_ts: int
    acked_ts: int | None
    acked_by: str | None
    cleared_ts: int | None


class AckIn(BaseModel):
    """Who acknowledges; ``by`` defaults to the configured operator name."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")


class DeviceOut(_Out):
    device: str
    path: str
    state: Literal["online", "offline", "unknown"]
    last_seen: int | None
    quality: str


class FactorOut(_Out):
    id: str
    carrier: str
    kind: str
    value: float
    unit: str
    source: str
    valid_from: str
    valid_to: str | None
    version: str
    parameters: dict[str, float]


class HistoryPoint(BaseModel):
    ts: int = Field(description="start of the bucket, ms since the epoch (UTC): bucket_origin + k x interval")
    value: float | None


class HistoryOut(BaseModel):
    node: str
    metric: str
    unit: str
    agg: str
    interval_s: int
    start: int
    end: int
    bucket_origin: int = Field(description="buckets start here + k x interval_s: the range's start")
    points: list[HistoryPoint]


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    uptime_s: float
    store: Literal["ok", "unavailable", "not_configured"]
    live_clients: int
    mqtt_connected: bool | None = Field(default=None, description="the engine's broker connection")
    mqtt_last_cause: str | None = Field(
        default=None,
        description="why the last connection attempt to the broker failed (kept after a reconnect)",
    )


class FieldProblem(BaseModel):
    where: str = Field(description="the parameter or body field, e.g. query.interval")
    problem: str


class Problem(BaseModel):
    """Body of every 4xx/5xx answer: what is wrong, in one sentence, plus each faulty field."""

    detail: str
    errors: list[FieldProblem] = []


PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "description": text}
    for code, text in (
        (400, "the body could not be parsed"),
        (401, "no valid bearer token (Authorization: Bearer TOKEN)"),
        (403, "the token's role may not do this"),
        (404, "unknown node, alert or path"),
        (413, "the request body is larger than the limit"),
        (422, "a parameter or the body is invalid; the detail names it"),
    )
}
# What every route behind a token may answer besides its own results.
AUTH_PROBLEMS: dict[int | str, dict[str, Any]] = {code: PROBLEMS[code] for code in (401, 403, 413)}


class TokenInfoOut(BaseModel):
    """A token's id, role and creation time: never the token, never its hash."""

    id: str
    role: str
    created: int = Field(description="epoch seconds")


class ConfigOut(BaseModel):
    """The API's effective settings (token entries left out) and who holds a token."""

    settings: dict[str, object]
    tokens: list[TokenInfoOut]
