"""The engine's own figures for ``/metrics`` (``EngineView.engine_status``)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from carbon_engine.view import EngineStatus, LiveValues

if TYPE_CHECKING:
    from carbon_engine.engine import Engine


def engine_status(engine: Engine, site: LiveValues | None, now_ms: int) -> EngineStatus:
    """Counters and gauges of ``engine`` (its lock held); ``site``: the site's live values."""
    active = Counter(a.severity for a in engine.book.active.values())
    wm = engine.core.windows.watermark
    meters = engine.core.meters
    faults = meters.faults
    stats = engine.stats
    held = Counter(engine.topo.channels[c].id for c in meters.held)
    return EngineStatus(
        samples=stats["samples"],
        unrouted=stats["unrouted"],
        bad_quality=stats["bad_quality"],
        other_site=stats["other_site"],
        line_state=stats["line_state"],
        results_published=engine.pub.published,
        results_unchanged=engine.pub.suppressed,
        watermark_lag_s=max(0.0, (now_ms - wm) / 1000) if wm >= 0 else 0.0,
        publishing=engine.pub.publishing,
        alerts_active={s: active.get(s, 0) for s in ("info", "warning", "critical")},
        site_power_kw=site.power_kw if site else 0.0,
        # 0 where undefined (no energy): a gauge has no "undefined"
        site_intensity_location_kg_per_kwh=(site and site.intensity_location_kg_per_kwh) or 0.0,
        site_intensity_market_kg_per_kwh=(site and site.intensity_market_kg_per_kwh) or 0.0,
        readings_dropped=dict(faults.dropped),
        gaps=dict(faults.gaps),
        gap_seconds=dict(faults.gap_s),
        readings_held={c.id: held.get(c.id, 0) for c in engine.topo.channels if c.role != "self"},
        deadletters_lost=faults.letters_dropped,
        coverage=dict(engine.data.coverage),
        invalid_messages=dict(engine.invalid),
        outbox_dropped=engine.outbox_dropped,
        late_dropped=dict(engine.core.windows.dropped),
        late_ignored=meters.late_ignored,
        limits={c.id: float(meters.guard.limit[c.idx]) for c in engine.topo.channels if c.role != "self"},
    )
