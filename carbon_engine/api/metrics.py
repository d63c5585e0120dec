"""Prometheus text exposition of the API's own counters (no client library needed for a few)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

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

    def render(self) -> str:
        """Prometheus text format 0.0.4."""
        out: list[str] = []
        _head(out, "zcf_api_requests_total", "counter", "HTTP requests by route and status")
        for (method, route, status), n in sorted(self.requests.items()):
            labels = f'method="{method}",route="{_esc(route)}",status="{status}"'
            out.append(f"zcf_api_requests_total{{{labels}}} {n}")
        _head(out, "zcf_api_sse_clients", "gauge", "live (SSE) clients connected now")
        out.append(f"zcf_api_sse_clients {self.sse_clients}")
        _simple(
            out, "zcf_api_sse_clients_total", "live clients connected since start", self.sse_clients_total
        )
        _simple(out, "zcf_api_sse_refused_total", "live clients refused (limit)", self.sse_refused)
        _head(out, "zcf_api_engine_events_total", "counter", "engine events sent to live clients")
        for kind in sorted(set(self.events_sent) | {"live", "alert"}):
            out.append(f'zcf_api_engine_events_total{{kind="{kind}"}} {self.events_sent[kind]}')
        _simple(out, "zcf_api_history_queries_total", "history queries answered", self.history_queries)
        _simple(out, "zcf_api_history_errors_total", "history queries the store failed", self.history_errors)
        _simple(out, "zcf_api_alert_acks_total", "alerts acknowledged through the API", self.acks)
        _head(out, "zcf_api_uptime_seconds", "gauge", "seconds since the app started")
        out.append(f"zcf_api_uptime_seconds {time.monotonic() - self.started:.3f}")
        return "\n".join(out) + "\n"


def _head(out: list[str], name: str, kind: str, help_: str) -> None:
    out.append(f"# HELP {name} {help_}")
    out.append(f"# TYPE {name} {kind}")


def _simple(out: list[str], name: str, help_: str, value: int) -> None:
    _head(out, name, "counter", help_)
    out.append(f"{name} {value}")


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


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
