"""InfluxDB 1.x writer: line protocol POSTed to ``/write`` (precision ms) over keep-alive HTTP."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from urllib.parse import urlencode

from iiot_core.errors import StoreError
from iiot_core.store.base import Record, StoreRejected
from iiot_core.store.http import HttpConnection
from iiot_core.store.lineproto import encode_batch
from iiot_core.store.url import StoreUrl

log = logging.getLogger(__name__)


def basic_auth(user: str | None, password: str | None) -> dict[str, str]:
    """An Authorization header for InfluxDB 1.x basic auth, or none."""
    if user is None:
        return {}
    raw = f"{user}:{password or ''}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def ident(name: str) -> str:
    """A double-quoted InfluxQL identifier."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def error_text(body: bytes) -> str:
    """The server's error message, shortened for logs."""
    return body.decode("utf-8", "replace").strip()[:300]


class InfluxV1Writer:
    """Writes batches to an InfluxDB 1.x database (also 1.8+/2.x v1-compat ``/write``)."""

    def __init__(self, url: StoreUrl, timeout_s: float = 10.0) -> None:
        self.url = url
        self._http = HttpConnection(url.http_base, timeout_s=timeout_s)
        params = {"db": url.database, "precision": "ms"}
        if url.rp:
            params["rp"] = url.rp
        self._path = "/write?" + urlencode(params)
        self._headers = {"Content-Type": "text/plain; charset=utf-8"}
        self._headers.update(basic_auth(url.user, url.password))

    @property
    def description(self) -> str:
        return self.url.redacted()

    async def check(self) -> None:
        """Ping the server, then make sure the database (and the ``rp``) exist: a clear error if not."""
        where = self.description
        try:
            ping = await self._http.request("GET", "/ping", headers=self._headers)
        except StoreError as exc:
            raise StoreError(f"InfluxDB at {where} is unreachable: {exc}") from exc
        if ping.status != 204:
            raise StoreError(f"{where}: /ping answered HTTP {ping.status}, not InfluxDB?")
        body = await self._show("SHOW DATABASES")
        if f'["{self.url.database}"]'.encode() not in body:
            raise StoreError(
                f"{where}: database {self.url.database!r} does not exist "
                f'(create it: CREATE DATABASE "{self.url.database}")'
            )
        if self.url.rp:
            await self._check_rp(self.url.rp)

    async def _check_rp(self, rp: str) -> None:
        # Writes to a missing policy fail as a server error, which would be retried forever.
        db = self.url.database
        body = await self._show(f"SHOW RETENTION POLICIES ON {ident(db)}")
        try:
            series = json.loads(body)["results"][0].get("series", [])
            names = sorted(str(row[0]) for s in series for row in s.get("values", []))
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            raise StoreError(f"{self.description}: unexpected answer to SHOW RETENTION POLICIES") from exc
        if rp not in names:
            raise StoreError(
                f"{self.description}: retention policy {rp!r} does not exist in database {db!r} "
                f"(existing: {', '.join(names) or 'none'})"
            )

    async def _show(self, statement: str) -> bytes:
        """The JSON answer to a SHOW statement; StoreError naming it if refused."""
        q = urlencode({"q": statement})
        resp = await self._http.request("GET", f"/query?{q}", headers=self._headers)
        if resp.status in (401, 403):
            raise StoreError(f"{self.description}: credentials refused (HTTP {resp.status})")
        if resp.status != 200:
            raise StoreError(f"{self.description}: {statement} failed: {error_text(resp.body)}")
        return resp.body

    async def write(self, batch: Sequence[Record]) -> int:
        body, n = encode_batch(batch)
        if n == 0:
            return 0
        resp = await self._http.request("POST", self._path, body, self._headers)
        raise_for_write(resp.status, resp.body, self.description)
        return n

    async def close(self) -> None:
        await self._http.close()


# Answers that refuse the data itself: resending the same body gets the same answer, so the
# caller splits the batch and dead-letters what is still refused. 400: unparsable line, type
# conflict or (1.x) points beyond retention; 413: body over the server's limit; 422 (2.x):
# points rejected, e.g. outside the bucket's retention. Every other answer (401/403
# credentials, 404 database or bucket missing, 408, 429, 5xx) is an outage: retry.
REFUSED_STATUSES = frozenset({400, 413, 422})


def raise_for_write(status: int, body: bytes, where: str) -> None:
    """Map a write answer: 2xx ok, a refusal of the data StoreRejected, anything else StoreError."""
    if 200 <= status < 300:
        return
    if status in REFUSED_STATUSES:
        raise StoreRejected(f"{where}: data refused (HTTP {status}): {error_text(body)}")
    if status in (401, 403):
        raise StoreError(f"{where}: credentials refused (HTTP {status})")
    raise StoreError(f"{where}: write failed with HTTP {status}: {error_text(body)}")
