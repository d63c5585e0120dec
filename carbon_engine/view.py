"""What the operator API reads from the running engine: the contract between engine and API.

The engine implements ``EngineView``; the API depends only on this module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

NodeLevel = Literal["site", "area", "line", "meter"]
AlertState = Literal["raised", "acknowledged", "cleared"]
Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the asset tree; ``path`` is ``site``, ``site/area`` or ``site/area/line``."""

    path: str
    level: NodeLevel
    name: str
    parent: str | None
    label_en: str = ""
    label_zh: str = ""
    children: tuple[str, ...] = ()
    timezone: str = ""  # the site's IANA time zone, on the site node only


@dataclass(frozen=True, slots=True)
class LiveValues:
    """Current values of one node: rolling last minute for rates, today (site time) for totals.

    Intensities and shares are None where they are undefined: no energy (or no electricity)
    in the last minute, no production counter or no units made.
    """

    path: str
    ts: int  # ms since epoch of the newest sample of the node's meters (its as-of time)
    power_kw: float  # electricity only
    # Scope 1 + Scope 2 over every carrier's energy (gas and steam in kWh), last minute
    intensity_location_kg_per_kwh: float | None
    intensity_market_kg_per_kwh: float | None
    intensity_kg_per_unit: float | None  # market-based; None where the node has no production counter
    energy_per_unit_kwh: float | None
    renewable_share: float | None  # 0..1 of electricity; None without electricity
    energy_today_kwh: float
    scope1_today_kg: float
    scope2_location_today_kg: float
    scope2_market_today_kg: float
    units_today: float | None
    factor_versions: tuple[str, ...] = ()
    # Share of the last minute backed by good samples, the lowest of the node's meters (None:
    # no meter of it has reported yet).
    coverage: float | None = None
    # Lines with a state point: the state now, and today's idle energy (idle or stopped).
    state: str | None = None
    idle_today_kwh: float | None = None
    idle_share_today: float | None = None
    age_s: float | None = None  # engine clock minus ``ts``; None before the node's first sample
    stale: bool = False  # age over ``stale_after_s`` (or no sample yet)
    stale_after_s: float = 30.0
    # Emitting now: Scope 1 + Scope 2 per hour over the last minute, and today's total (kgCO2e)
    emissions_location_kg_per_h: float = 0.0
    emissions_market_kg_per_h: float = 0.0
    emissions_today_location_kg: float = 0.0
    emissions_today_market_kg: float = 0.0
    intensity_location_kg_per_unit: float | None = None
    # Scope 2 of electricity per kWh of electricity, last minute
    intensity_electricity_location_kg_per_kwh: float | None = None
    intensity_electricity_market_kg_per_kwh: float | None = None
    # Today's quantity per carrier in its base unit: electricity_kwh, natural_gas_nm3, steam_t, ...
    carriers_today: dict[str, float] = field(default_factory=dict)
    # Site only: the renewable share's parts over the last minute (onsite, gec, ppa,
    # green_power_trading); instruments are spread evenly over their periods, so an estimate.
    renewable_parts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertView:
    id: str
    rule: str
    node: str
    severity: Severity
    state: AlertState
    message: str
    value: float | None
    raised_ts: int
    acked_ts: int | None = None
    acked_by: str | None = None
    cleared_ts: int | None = None
    message_zh: str = ""


@dataclass(frozen=True, slots=True)
class DeviceView:
    device: str
    path: str  # site/area/line the device belongs to
    state: Literal["online", "offline", "unknown"]
    last_seen: int | None
    quality: str  # worst quality of the last message's points; "unknown" while offline


@dataclass(frozen=True, slots=True)
class FactorView:
    id: str
    carrier: str
    kind: str  # e.g. "location", "residual_mix", "combustion", "footprint"
    value: float
    unit: str
    source: str
    valid_from: str
    valid_to: str | None
    version: str
    parameters: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """Pushed to live clients: ``kind`` is ``live`` (data = LiveValues list) or ``alert``."""

    kind: Literal["live", "alert"]
    data: object


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """Counters and gauges of the engine itself, for ``/metrics``."""

    samples: int  # routed samples accepted
    unrouted: int  # points no meter of the plant reads
    bad_quality: int  # routed points of unusable quality
    other_site: int  # messages of another site
    results_published: int  # window results handed to the broker
    results_unchanged: int  # recomputed results not sent again (values unchanged)
    watermark_lag_s: float  # wall clock minus event-time watermark (0 before any data)
    publishing: bool  # false for a standby (hot standby, lease held elsewhere)
    alerts_active: dict[str, int]  # by severity
    site_power_kw: float
    site_intensity_location_kg_per_kwh: float
    site_intensity_market_kg_per_kwh: float
    # Per meter of the plant (a bounded label set): readings not booked, by reason
    # ("spike", "counter_jump", "power_spike"), and intervals longer than max_gap with their seconds.
    readings_dropped: dict[tuple[str, str], int] = field(default_factory=dict)
    gaps: dict[str, int] = field(default_factory=dict)
    gap_seconds: dict[str, float] = field(default_factory=dict)
    readings_held: dict[str, int] = field(default_factory=dict)  # suspect, waiting for the next reading
    deadletters_lost: int = 0  # dead letters dropped before they were published (bounded queue)
    coverage: dict[str, float] = field(default_factory=dict)  # of the last coverage window judged
    limits: dict[str, float] = field(default_factory=dict)  # plausibility limit per hour (inf: none)
    invalid_messages: dict[str, int] = field(default_factory=dict)  # undecodable, by cause
    outbox_dropped: int = 0  # messages dropped by a full outbox (broker away too long)
    late_dropped: dict[str, int] = field(default_factory=dict)  # minute pieces for closed windows, by size
    late_ignored: int = 0  # late samples whose windows had closed
    line_state: int = 0  # points of lines' state points (any quality), apart from the meters'


class EngineView(Protocol):
    """Read side of the engine, plus the one operator action (acknowledge)."""

    def tree(self) -> list[Node]: ...

    def live(self) -> list[LiveValues]: ...

    def alerts(
        self, state: AlertState | None = None, severity: Severity | None = None, node: str | None = None
    ) -> list[AlertView]: ...

    def ack_alert(self, alert_id: str, by: str) -> AlertView | None: ...

    def factors(self) -> list[FactorView]: ...

    def devices(self) -> list[DeviceView]: ...

    def engine_status(self, now_ms: int) -> EngineStatus: ...

    def events(self) -> AsyncIterator[EngineEvent]:
        """A fresh async iterator of events for one live client (bounded; slow clients drop)."""
        ...
