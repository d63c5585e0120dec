"""``/metrics`` carries the engine's own figures, equal to the engine's state, in valid exposition."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.engine_setup import FedPlant


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    names = []
    for family in text_string_to_metric_families(text):
        names.append(family.name)
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)  # no family clash
    return out


async def test_metrics_show_the_engine_as_it_is(client: httpx.AsyncClient, plant: FedPlant) -> None:
    e = plant.engine
    got = _samples((await client.get("/metrics")).text)
    assert got[("zcf_engine_points_total", (("outcome", "routed"),))] == e.stats["samples"] > 0
    assert got[("zcf_engine_points_total", (("outcome", "unrouted"),))] == e.stats["unrouted"]
    assert got[("zcf_engine_results_published_total", ())] == e.pub.published > 0
    assert got[("zcf_engine_publishing", ())] == 1
    site = next(v for v in e.live() if v.path == e.site)
    assert got[("zcf_engine_site_power_kw", ())] == site.power_kw > 0
    assert got[("zcf_engine_site_intensity_kg_per_kwh", (("method", "market"),))] == (
        site.intensity_market_kg_per_kwh
    )
    active = sum(
        got[("zcf_engine_alerts_active", (("severity", s),))] for s in ("info", "warning", "critical")
    )
    assert active == len(e.book.active)
    # The plant was fed an hour ago: the watermark is that far behind the wall clock.
    assert got[("zcf_engine_watermark_lag_seconds", ())] > 0
    assert ("zcf_api_sse_connections_total", ()) in got and ("zcf_api_sse_clients", ()) in got
