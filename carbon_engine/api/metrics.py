"""The API's own counters, exposed through ``prometheus_client``.

The counters are plain attributes (bumped by routes and middleware); a collector reads them at
scrape time. Each ``ApiMetrics`` has its own registry, not the process-wide default, so a
process (a test) can build several apps.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carbon_engine.view import EngineStatus, EngineView

Family = TypeVar("Family", CounterMetricFamily, GaugeMetricFamily)


@dataclass(slots=True)
class ApiMetrics:
    """Counters the API keeps; rendered by ``/metrics``."""

    started: float = field(default_factory=time.monotonic)
    requests: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    events_sent: Counter[str] = field(default_factory=Counter)
    sse_clients: int = 0
    sse_clients_total: int = 0
    sse_refused: int = 0
    history_queries: int = 0
    history_errors: int = 0
    acks: int = 0
    registry: CollectorRegistry = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_ApiCollector(self))

    def render(self) -> str:
        """Prometheus text format 0.0.4."""
        return generate_latest(self.registry).decode()


class _ApiCollector(Collector):
    """Reads an ``ApiMetrics`` at every scrape."""

    def __init__(self, metrics: ApiMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        by = ["method", "route", "status"]
        requests = CounterMetricFamily(
            "zcf_api_requests_total", "HTTP requests by route and status", labels=by
        )
        for (method, route, status), n in sorted(m.requests.items()):
            requests.add_metric([method, route, str(status)], n)
        yield requests
        clients = m.sse_clients
        yield GaugeMetricFamily("zcf_api_sse_clients", "live (SSE) clients connected now", value=clients)
        # Not "sse_clients_total": that is the counter family "sse_clients", the gauge's name.
        yield _counter("sse_connections_total", "live clients connected since start", m.sse_clients_total)
        yield _counter("sse_refused_total", "live clients refused (limit)", m.sse_refused)
        events = CounterMetricFamily(
            "zcf_api_engine_events_total", "engine events sent to live clients", labels=["kind"]
        )
        for kind in sorted(set(m.events_sent) | {"live", "alert"}):
            events.add_metric([kind], m.events_sent[kind])
        yield events
        yield _counter("history_queries_total", "history queries answered", m.history_queries)
        yield _counter("history_errors_total", "history queries the store failed", m.history_errors)
        yield _counter("alert_acks_total", "alerts acknowledged through the API", m.acks)
        uptime = round(time.monotonic() - m.started, 3)
        yield GaugeMetricFamily("zcf_api_uptime_seconds", "seconds since the app started", value=uptime)


class EngineCollector(Collector):
    """The engine's own figures (``EngineView.engine_status``), read at every scrape."""

    def __init__(self, view: EngineView) -> None:
        self.view = view

    def collect(self) -> Iterator[Metric]:
        st = self.view.engine_status(time.time_ns() // 1_000_000)
        points = CounterMetricFamily(
            "zcf_engine_points_total", "telemetry points by what became of them", labels=["outcome"]
        )
        for outcome, n in (
            ("routed", st.samples),
            ("unrouted", st.unrouted),
            ("bad_quality", st.bad_quality),
            ("line_state", st.line_state),
        ):
            points.add_metric([outcome], n)
        yield points
        yield CounterMetricFamily(
            "zcf_engine_other_site_messages_total", "messages of another site", value=st.other_site
        )
        yield CounterMetricFamily(
            "zcf_engine_results_published_total", "window results published", value=st.results_published
        )
        yield CounterMetricFamily(
            "zcf_engine_results_unchanged_total",
            "recomputed window results not sent again (values unchanged)",
            value=st.results_unchanged,
        )
        yield GaugeMetricFamily(
            "zcf_engine_watermark_lag_seconds",
            "wall clock minus the event-time watermark",
            value=st.watermark_lag_s,
        )
        yield GaugeMetricFamily(
            "zcf_engine_publishing", "1 when this engine publishes, 0 as a standby", value=int(st.publishing)
        )
        active = st.alerts_active
        yield _labelled(
            GaugeMetricFamily, "zcf_engine_alerts_active", "active alerts by severity", "severity", active
        )
        yield GaugeMetricFamily(
            "zcf_engine_site_power_kw", "site electric power, last minute", value=st.site_power_kw
        )
        intensity = GaugeMetricFamily(
            "zcf_engine_site_intensity_kg_per_kwh", "site carbon intensity, last minute", labels=["method"]
        )
        intensity.add_metric(["location"], st.site_intensity_location_kg_per_kwh)
        intensity.add_metric(["market"], st.site_intensity_market_kg_per_kwh)
        yield intensity
        yield from _fault_metrics(st)


def _fault_metrics(st: EngineStatus) -> Iterator[Metric]:
    """Readings not booked as measured, per meter of the plant (labels never come from input)."""
    dropped = CounterMetricFamily(
        "zcf_engine_readings_dropped",
        "readings not booked (spike, counter_jump, power_spike): above the meter's plausibility limit",
        labels=["meter", "reason"],
    )
    for (meter, reason), n in sorted(st.readings_dropped.items()):
        dropped.add_metric([meter, reason], n)
    yield dropped
    gaps = CounterMetricFamily(
        "zcf_engine_gaps",
        "intervals longer than max_gap_s (counter: estimated; power: not integrated)",
        labels=["meter"],
    )
    seconds = CounterMetricFamily("zcf_engine_gap_seconds", "seconds inside those gaps", labels=["meter"])
    for meter, n in sorted(st.gaps.items()):
        gaps.add_metric([meter], n)
        seconds.add_metric([meter], st.gap_seconds.get(meter, 0.0))
    yield gaps
    yield seconds
    yield _per_meter(
        "zcf_engine_readings_held", "suspect readings held until the meter's next reading", st.readings_held
    )
    yield _per_meter(
        "zcf_engine_meter_coverage", "share of the last coverage window backed by good samples", st.coverage
    )
    limits = {m: v for m, v in st.limits.items() if v != float("inf")}
    yield _per_meter(
        "zcf_engine_plausibility_limit_per_hour", "plausibility limit, base unit per hour", limits
    )
    yield CounterMetricFamily(
        "zcf_engine_deadletters_lost", "dead letters dropped before publishing", value=st.deadletters_lost
    )
    yield from _dropped_elsewhere(st)


def _dropped_elsewhere(st: EngineStatus) -> Iterator[Metric]:
    """Everything else the engine did not use: bad messages, a full outbox, too-late data."""
    yield _labelled(
        CounterMetricFamily,
        "zcf_engine_invalid_messages",
        "messages that did not decode, by cause",
        "cause",
        st.invalid_messages,
    )
    yield CounterMetricFamily(
        "zcf_engine_outbox_dropped", "messages dropped by a full outbox", value=st.outbox_dropped
    )
    yield _labelled(
        CounterMetricFamily,
        "zcf_engine_late_pieces_dropped",
        "minute pieces of late samples for windows already closed (past allowed lateness)",
        "window",
        st.late_dropped,
    )
    yield CounterMetricFamily(
        "zcf_engine_late_samples_ignored",
        "late samples inside an interval whose windows had closed",
        value=st.late_ignored,
    )


def _labelled(
    kind: type[Family], name: str, help_: str, label: str, values: Mapping[str, float] | Mapping[str, int]
) -> Family:
    """A family with one label, a sample per key of ``values`` in sorted order."""
    family = kind(name, help_, labels=[label])
    for key, v in sorted(values.items()):
        family.add_metric([key], v)
    return family


def _per_meter(name: str, help_: str, values: Mapping[str, float] | Mapping[str, int]) -> GaugeMetricFamily:
    return _labelled(GaugeMetricFamily, name, help_, "meter", values)


def _counter(name: str, help_: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"zcf_api_{name}", help_, value=value)


class RequestCounter:
    """ASGI middleware counting requests by route template (not raw path: bounded label set)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.requests[(scope["method"], _route_label(scope, status), status)] += 1


def _route_label(scope: Scope, status: int) -> str:
    """The route template; never a raw client-chosen path, so the label set stays bounded."""
    template = getattr(scope.get("route"), "path", None)
    if template:
        return str(template)
    path = str(scope.get("path", ""))
    if path.startswith("/static/"):
        return "/static"
    if path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect") and status < 400:
        return path
    return "(unmatched)"
