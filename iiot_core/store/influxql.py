"""InfluxQL reader over HTTP ``/query``: InfluxDB 1.x, and 2.x/3.x through v1 compatibility.

For ``influxdb-v2`` URLs the bucket is queried as the database with ``Authorization: Token``
(InfluxDB 2.x needs a DBRP mapping for the bucket; 3.x maps it by name).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from iiot_core.errors import StoreError
from iiot_core.store.base import (
    QUALITY_SUFFIX,
    RAW_PAGE_MS,
    TAGS,
    Bucket,
    History,
    LatestValue,
    RawPage,
    Selector,
    SeriesKey,
    bucket_offset,
    is_point_field,
    quality_code,
)
from iiot_core.store.http import HttpConnection
from iiot_core.store.influx_v1 import basic_auth, error_text, ident
from iiot_core.store.influx_v2 import token_header
from iiot_core.store.url import StoreUrl

_GROUP_BY_TAGS = ",".join(f'"{t}"' for t in TAGS)
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_CHUNK_ROWS = 10_000


def literal(value: str) -> str:
    """A single-quoted InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def where_clause(sel: Selector, time_terms: list[str]) -> str:
    terms = [f"{ident(k)} = {literal(v)}" for k, v in sel.tag_filters()] + time_terms
    return f" WHERE {' AND '.join(terms)}" if terms else ""


class InfluxQLReader:
    """Latest values and aggregated history through InfluxQL."""

    def __init__(self, url: StoreUrl, timeout_s: float = 15.0) -> None:
        self.url = url
        self._http = HttpConnection(url.http_base, timeout_s=timeout_s)
        if url.scheme == "influxdb-v2":
            self._headers = token_header(url.token)
        else:
            self._headers = basic_auth(url.user, url.password)

    @property
    def description(self) -> str:
        return self.url.redacted()

    async def query(self, statements: list[str]) -> list[dict[str, Any]]:
        """Run statements in one request; return one result dict per statement."""
        params = {"db": self.url.database, "epoch": "ms"}
        if self.url.rp:
            params["rp"] = self.url.rp
        # The statements go in a form body: one per field, they outgrow any URL limit (httpx
        # refuses URLs over 64 KiB). InfluxDB takes read statements by POST as well as by GET.
        body = urlencode({"q": ";".join(statements)}).encode()
        resp = await self._http.request(
            "POST", "/query?" + urlencode(params), body, {**self._headers, **_FORM}
        )
        if resp.status != 200:
            raise StoreError(
                f"{self.description}: query failed (HTTP {resp.status}): {error_text(resp.body)}"
            )
        results: list[dict[str, Any]] = json.loads(resp.body).get("results", [])
        for r in results:
            if "error" in r:
                raise StoreError(f"{self.description}: query error: {r['error']}")
        return results

    async def check(self) -> None:
        try:
            await self.query(["SHOW MEASUREMENTS LIMIT 1"])
        except StoreError as exc:
            raise StoreError(f"cannot query {self.description}: {exc}") from exc

    async def fields(self, measurement: str = "telemetry") -> list[str]:
        (res,) = await self.query([f"SHOW FIELD KEYS FROM {ident(measurement)}"])
        names = {v[0] for s in res.get("series", []) for v in s["values"] if v[1] == "float"}
        return sorted(n for n in names if is_point_field(n))

    async def _fields_of(self, sel: Selector) -> list[str]:
        return list(sel.fields) if sel.fields is not None else await self.fields(sel.measurement)

    async def latest(self, sel: Selector, since_ms: int | None = None) -> list[LatestValue]:
        names = await self._fields_of(sel)
        if not names:
            return []
        times = [f"time >= {since_ms}ms"] if since_ms is not None else []
        where = where_clause(sel, times)
        stmts = [
            f"SELECT last({ident(f)}), {ident(f + QUALITY_SUFFIX)} FROM "
            f"{ident(sel.measurement)}{where} GROUP BY {_GROUP_BY_TAGS}"
            for f in names
        ]
        out = []
        for field, res in zip(names, await self.query(stmts), strict=True):
            for series in res.get("series", []):
                key = _key(sel.measurement, series.get("tags", {}), field)
                for ts, value, quality in series["values"]:
                    if value is not None:
                        out.append(LatestValue(key, int(ts), float(value), quality or "good"))
        return out

    async def history(
        self, sel: Selector, start_ms: int, end_ms: int, interval_ms: int, origin_ms: int = 0
    ) -> list[History]:
        if interval_ms <= 0 or end_ms <= start_ms:
            raise ValueError("need interval_ms > 0 and end_ms > start_ms")
        names = await self._fields_of(sel)
        if not names:
            return []
        where = where_clause(sel, [f"time >= {start_ms}ms", f"time < {end_ms}ms"])
        # GROUP BY time(interval, offset): buckets at offset + k x interval past the epoch.
        offset = bucket_offset(origin_ms, interval_ms)
        group = f"time({interval_ms}ms,{offset}ms)" if offset else f"time({interval_ms}ms)"
        stmts = []
        for f in names:
            q = ident(f)
            stmts.append(
                f"SELECT mean({q}), min({q}), max({q}), last({q}), count({q}) FROM "
                f"{ident(sel.measurement)}{where} GROUP BY {group},"
                f"{_GROUP_BY_TAGS} fill(none)"
            )
        out = []
        for field, res in zip(names, await self.query(stmts), strict=True):
            for series in res.get("series", []):
                buckets = [
                    Bucket(int(t), float(mean), float(lo), float(hi), float(last), int(n))
                    for t, mean, lo, hi, last, n in series["values"]
                    if n
                ]
                if buckets:
                    out.append(History(_key(sel.measurement, series.get("tags", {}), field), buckets))
        return out

    async def raw(
        self, sel: Selector, start_ms: int, end_ms: int, page_ms: int = RAW_PAGE_MS
    ) -> AsyncIterator[RawPage]:
        if page_ms <= 0:
            raise ValueError("need page_ms > 0")
        names = await self._fields_of(sel)
        if not names:
            return
        # Tags selected as columns, no GROUP BY: InfluxDB merges the series in time order.
        cols = [c for f in names for c in (ident(f), ident(f + QUALITY_SUFFIX))]
        cols += [f"{ident(t)}::tag" for t in TAGS]
        head = f"SELECT {', '.join(cols)} FROM {ident(sel.measurement)}"
        keys: dict[SeriesKey, int] = {}
        t = start_ms
        while t < end_ms:
            stop = min(end_ms, t + page_ms)
            where = where_clause(sel, [f"time >= {t}ms", f"time < {stop}ms"])
            series = await self._chunked(head + where)
            yield _raw_page(sel.measurement, names, series, t, stop, keys)
            t = stop

    async def _chunked(self, statement: str) -> list[dict[str, Any]]:
        """One statement with a chunked answer: the server's ``max-row-limit`` (10,000 rows on
        InfluxDB 1.x) cuts non-chunked answers short, not chunked ones. The series of every
        chunk, in order."""
        params = {"db": self.url.database, "epoch": "ms", "chunked": "true", "chunk_size": str(_CHUNK_ROWS)}
        if self.url.rp:
            params["rp"] = self.url.rp
        body = urlencode({"q": statement}).encode()
        resp = await self._http.request(
            "POST", "/query?" + urlencode(params), body, {**self._headers, **_FORM}
        )
        if resp.status != 200:
            raise StoreError(
                f"{self.description}: query failed (HTTP {resp.status}): {error_text(resp.body)}"
            )
        series: list[dict[str, Any]] = []
        for line in resp.body.splitlines():
            if not line.strip():
                continue
            for r in json.loads(line).get("results", []):
                if "error" in r:
                    raise StoreError(f"{self.description}: query error: {r['error']}")
                series += r.get("series", [])
        return series

    async def close(self) -> None:
        await self._http.close()


def _raw_page(
    measurement: str,
    names: list[str],
    series: list[dict[str, Any]],
    start: int,
    end: int,
    keys: dict[SeriesKey, int],
) -> RawPage:
    """Rows (time, value and quality per field, then the tags) as columns, one sample per value."""
    sid, ts, value, qual = array("l"), array("q"), array("d"), array("B")
    n = len(names)
    by_tags: dict[tuple[str, ...], list[int]] = {}  # the row's tags -> key index per field (-1: none yet)

    def key_of(tags: tuple[str, ...], i: int) -> int:
        site, area, line, device = (t or "" for t in tags)
        key = SeriesKey(measurement, site, area, line, device, names[i])
        idx = keys.get(key)
        if idx is None:
            idx = keys[key] = len(keys)
        return idx

    for s in series:
        for row in s["values"]:
            tags = tuple(row[1 + 2 * n :])
            ids = by_tags.get(tags)
            if ids is None:
                ids = by_tags[tags] = [-1] * n
            t = int(row[0])
            for i in range(n):
                v = row[1 + 2 * i]
                if v is None:
                    continue
                if ids[i] < 0:
                    ids[i] = key_of(tags, i)
                sid.append(ids[i])
                ts.append(t)
                value.append(v)
                q = row[2 + 2 * i]
                qual.append(0 if q is None else quality_code(q))
    return RawPage(start, end, list(keys), sid, ts, value, qual)


def _key(measurement: str, tags: dict[str, str], field: str) -> SeriesKey:
    return SeriesKey(
        measurement,
        tags.get("site", ""),
        tags.get("area", ""),
        tags.get("line", ""),
        tags.get("device", ""),
        field,
    )
