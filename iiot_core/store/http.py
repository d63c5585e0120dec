"""HTTP for the stores that speak it (InfluxDB 1.x writes, InfluxQL queries, v2 checks): an
``httpx`` async client with one keep-alive connection pool per store, errors as StoreError.

httpx is imported when a connection is made: only these stores need it (the ingest and engine
extras install it), an edge gateway never does. Callers see a plain ``Response``, not httpx.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from iiot_core.errors import StoreError


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes


class HttpConnection:
    """Requests to one server (``http[s]://host:port``); every failure to get an answer is a StoreError."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0) -> None:
        import httpx

        self._httpx = httpx
        self.base_url, self.timeout_s = base_url, timeout_s
        self._where = base_url.split("://", 1)[-1]
        # The system's CA store, as the stdlib would use (httpx defaults to certifi's), and no
        # proxy from the environment: a store on the plant network is reached directly.
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            verify=ssl.create_default_context(),
            trust_env=False,
        )

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request; connection problems and timeouts become StoreError (an outage)."""
        errors = self._httpx
        try:
            # httpx times each phase (connect, write, read): bound the whole request as well.
            async with asyncio.timeout(self.timeout_s + 1):
                resp = await self._client.request(method, path, content=body, headers=headers)
        except (TimeoutError, errors.TimeoutException):
            raise StoreError(f"{self._where}: no answer within {self.timeout_s:.0f} s") from None
        except errors.HTTPError as exc:
            raise StoreError(f"{self._where}: {_describe(exc)}") from exc
        return Response(resp.status_code, resp.content)

    async def close(self) -> None:
        await self._client.aclose()


def _describe(exc: Exception) -> str:
    """httpx's message, or the type and cause where it has none (``ConnectError: [Errno 111] ...``)."""
    text = str(exc) or str(exc.__cause__ or "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
