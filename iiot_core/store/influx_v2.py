"""InfluxDB v2 write API through ``influxdb-client`` (InfluxDB 2.x, 3.x, Cloud, 1.8+), gzip on.

The client's synchronous write API runs in one worker thread; its own retries are off
because the ingest pipeline retries with backoff while it holds the MQTT acknowledgements.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from iiot_core.errors import StoreError
from iiot_core.store.base import Record
from iiot_core.store.http import HttpConnection
from iiot_core.store.influx_v1 import raise_for_write
from iiot_core.store.lineproto import encode_batch
from iiot_core.store.url import StoreUrl


def token_header(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Token {token}"} if token else {}


class InfluxV2Writer:
    """Writes batches to an org/bucket through the v2 write API."""

    def __init__(self, url: StoreUrl, timeout_s: float = 10.0) -> None:
        # Imported here: influxdb-client takes ~0.3 s to import and only this store needs it.
        from influxdb_client import InfluxDBClient, WritePrecision
        from influxdb_client.client.write_api import SYNCHRONOUS
        from influxdb_client.rest import ApiException
        from urllib3.exceptions import HTTPError

        self._api_exception: type[ApiException] = ApiException
        self._transport_errors: tuple[type[Exception], ...] = (HTTPError, OSError)
        self._precision_ms: Any = WritePrecision.MS  # typed as str by the client
        self.url = url
        self.timeout_s = timeout_s
        self._client = InfluxDBClient(
            url=url.http_base,
            token=url.token or "",
            org=url.org,
            enable_gzip=True,
            timeout=int(timeout_s * 1000),
        )
        self._api = self._client.write_api(write_options=SYNCHRONOUS)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="influx-v2")

    @property
    def description(self) -> str:
        return self.url.redacted()

    async def check(self) -> None:
        """Ping; where the server has a buckets API (InfluxDB 2.x), make sure the bucket exists."""
        where, u = self.description, self.url
        http = HttpConnection(u.http_base, timeout_s=self.timeout_s)
        headers = token_header(u.token)
        try:
            try:
                ping = await http.request("GET", "/ping", headers=headers)
            except StoreError as exc:
                raise StoreError(f"InfluxDB at {where} is unreachable: {exc}") from exc
            if ping.status not in (200, 204):
                raise StoreError(f"{where}: /ping answered HTTP {ping.status}, not InfluxDB?")
            q = urlencode({"name": u.database, "org": u.org})
            resp = await http.request("GET", f"/api/v2/buckets?{q}", headers=headers)
        finally:
            await http.close()
        if resp.status in (401, 403):
            raise StoreError(f"{where}: token refused (HTTP {resp.status})")
        if resp.status == 404 and b"organization" in resp.body.lower():
            raise StoreError(f"{where}: organization {u.org!r} not found")
        if resp.status == 200:
            buckets = json.loads(resp.body).get("buckets") or []
            if not any(b.get("name") == u.database for b in buckets):
                raise StoreError(f"{where}: bucket {u.database!r} does not exist in {u.org!r}")
        # Other answers: a server without the buckets API (1.8, 3.x, VictoriaMetrics).

    def _write(self, body: bytes) -> None:
        self._api.write(
            bucket=self.url.database, org=self.url.org, record=body, write_precision=self._precision_ms
        )

    async def write(self, batch: Sequence[Record]) -> int:
        body, n = encode_batch(batch)
        if n == 0:
            return 0
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout_s + 1):
                await loop.run_in_executor(self._executor, self._write, body)
        except self._api_exception as exc:
            body = exc.body if isinstance(exc.body, bytes) else str(exc.body or "").encode()
            raise_for_write(exc.status or 0, body, self.description)
            raise StoreError(f"{self.description}: {exc.status} {exc.reason}") from exc
        except TimeoutError:
            raise StoreError(f"{self.description}: no answer within {self.timeout_s:.0f} s") from None
        except self._transport_errors as exc:
            # Connection errors only: anything else is about this body and must not be
            # retried forever (ingest isolates the message at fault instead).
            raise StoreError(f"{self.description}: {exc}") from exc
        return n

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._client.close)
        self._executor.shutdown(wait=False)
