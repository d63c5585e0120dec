"""Prometheus text exposition of the API's own counters (no client library needed for a few)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iiot_core import prometheus


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

    def render(self) -> str:
        """Prometheus text format 0.0.4."""
        out: list[str] = []
        family = prometheus.family
        requests = [
            (prometheus.labels(method=m, route=r, status=st), n)
            for (m, r, st), n in sorted(self.requests.items())
        ]
        family(out, "zcf_api_requests_total", "counter", "HTTP requests by route and status", requests)
        family(
            out, "zcf_api_sse_clients", "gauge", "live (SSE) clients connected now", [("", self.sse_clients)]
        )
        family(
            out,
            "zcf_api_sse_clients_total",
            "counter",
            "live clients connected since start",
            [("", self.sse_clients_total)],
        )
        family(
            out,
            "zcf_api_sse_refused_total",
            "counter",
            "live clients refused (limit)",
            [("", self.sse_refused)],
        )
        events = [
            (prometheus.labels(kind=k), self.events_sent[k])
            for k in sorted(set(self.events_sent) | {"live", "alert"})
        ]
        family(out, "zcf_api_engine_events_total", "counter", "engine events sent to live clients", events)
        family(
            out,
            "zcf_api_history_queries_total",
            "counter",
            "history queries answered",
            [("", self.history_queries)],
        )
        family(
            out,
            "zcf_api_history_errors_total",
            "counter",
            "history queries the store failed",
            [("", self.history_errors)],
        )
        family(
            out,
            "zcf_api_alert_acks_total",
            "counter",
            "alerts acknowledged through the API",
            [("", self.acks)],
        )
        uptime = round(time.monotonic() - self.started, 3)
        family(out, "zcf_api_uptime_seconds", "gauge", "seconds since the app started", [("", uptime)])
        return "\n".join(out) + "\n"


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
