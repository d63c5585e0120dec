"""``/health`` and ``/metrics`` of a service over a minimal asyncio HTTP/1.1 server (no framework).

Used by ingest and the edge agent, which need no web framework: ``StatusHttp(metrics, health)``
builds the handler; ``serve(host, port)`` starts listening. Nothing starts at import.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from iiot_core.masking import mask, mask_obj

log = logging.getLogger(__name__)

# What prometheus_client's ``generate_latest`` writes (its CONTENT_TYPE_LATEST names a newer format).
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MetricsFn = Callable[[], bytes]

HealthFn = Callable[[], tuple[bool, dict[str, Any]]]
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class StatusHttp:
    """Routes GET /health (JSON, 503 when unhealthy) and GET /metrics (Prometheus text)."""

    def __init__(self, metrics: MetricsFn, health: HealthFn) -> None:
        self.metrics = metrics
        self.health = health
        self._server: asyncio.Server | None = None

    def route(self, method: str, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for one request."""
        path = path.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"method not allowed\n"
        if path == "/metrics":
            return 200, METRICS_CONTENT_TYPE, mask(self.metrics().decode()).encode()
        if path in ("/health", "/healthz"):
            ok, detail = self.health()
            body = json.dumps(mask_obj({"status": "ok" if ok else "degraded", **detail})).encode()
            return (200 if ok else 503), "application/json", body
        return 404, "text/plain", b"not found\n"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                request = await reader.readline()
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # headers are not needed
            method, path, _ = request.decode("latin-1").split(" ", 2)
            status, ctype, body = self.route(method, path)
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (b"" if method == "HEAD" else body))
            async with asyncio.timeout(10):
                await writer.drain()
        except (TimeoutError, ValueError, ConnectionError) as exc:
            log.debug("http request dropped: %s", exc)
        finally:
            writer.close()

    async def serve(self, host: str, port: int) -> int:
        """Start listening; return the bound port (useful with port 0)."""
        self._server = await asyncio.start_server(self._handle, host, port)
        bound = int(self._server.sockets[0].getsockname()[1])
        log.info("health and metrics on http://%s:%d/health /metrics", host, bound)
        return bound

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
