"""The API's own counters, exposed through ``prometheus_client``.

The counters are plain attributes (bumped by routes and middleware); a collector reads them at
scrape time. Each ``ApiMetrics`` has its own registry, not the process-wide default, so a
process (a test) can build several apps.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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
        yield _counter("sse_clients_total", "live clients connected since start", m.sse_clients_total)
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
