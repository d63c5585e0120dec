"""A keep-alive HTTP/1.1 connection used from one worker thread, awaited with a timeout.

The stdlib client keeps the runtime dependencies small; one thread per store connection
keeps requests ordered and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from iiot_core.errors import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes


class HttpConnection:
    """One persistent connection to ``host:port``; ``request`` runs in its own thread."""

    def __init__(self, host: str, port: int, *, tls: bool = False, timeout_s: float = 10.0):
        self.host, self.port, self.tls, self.timeout_s = host, port, tls, timeout_s
        self._conn: http.client.HTTPConnection | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"http-{host}:{port}")

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.tls:
                ctx = ssl.create_default_context()
                self._conn = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout_s, context=ctx
                )
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        # A kept-alive socket the server has closed fails on first use: retry once on a new one.
        for attempt in (1, 2):
            conn = self._connect()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self._drop()
                return Response(resp.status, data)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop()
                if attempt == 2:
                    raise
            except BaseException:
                self._drop()
                raise
        raise AssertionError("unreachable")

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request; connection problems and timeouts become StoreError."""
        loop = asyncio.get_running_loop()
        where = f"{self.host}:{self.port}"
        try:
            async with asyncio.timeout(self.timeout_s + 1):
                return await loop.run_in_executor(
                    self._executor, self._send, method, path, body, headers or {}
                )
        except TimeoutError:
            raise StoreError(f"{where}: no answer within {self.timeout_s:.0f} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise StoreError(f"{where}: {exc or type(exc).__name__}") from exc

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._drop)
        self._executor.shutdown(wait=False)
