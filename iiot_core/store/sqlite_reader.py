"""Reader for the embedded SQLite store (read-only connection, WAL lets it run beside ingest)."""

from __future__ import annotations

import functools
import sqlite3
from array import array
from collections.abc import AsyncIterator
from typing import Any

from iiot_core.store.base import (
    RAW_PAGE_MS,
    Bucket,
    History,
    LatestValue,
    RawPage,
    Selector,
    SeriesKey,
    bucket_offset,
    quality_code,
)
from iiot_core.store.sqlite import SqliteBase
from iiot_core.store.url import StoreUrl

_LATEST = """
SELECT s.measurement, s.site, s.area, s.line, s.device, s.field, v.ts, v.value, v.quality
FROM series s JOIN samples v
  ON v.series_id = s.id AND v.ts = (SELECT max(ts) FROM samples WHERE series_id = s.id)
WHERE {where} ORDER BY s.site, s.area, s.line, s.device, s.field
"""

_HISTORY = """
SELECT s.measurement, s.site, s.area, s.line, s.device, s.field,
       g.b, g.mean, g.lo, g.hi, v.value, g.n
FROM (
  SELECT series_id AS sid, ts - (((ts - :off) % :iv) + :iv) % :iv AS b, avg(value) AS mean, min(value) AS lo,
         max(value) AS hi, count(*) AS n, max(ts) AS last_ts
  FROM samples
  WHERE series_id IN (SELECT id FROM series s WHERE {where}) AND ts >= :start AND ts < :end
  GROUP BY sid, b
) g
JOIN samples v ON v.series_id = g.sid AND v.ts = g.last_ts
JOIN series s ON s.id = g.sid
ORDER BY s.site, s.area, s.line, s.device, s.field, g.b
"""

_SERIES = "SELECT s.id, s.measurement, s.site, s.area, s.line, s.device, s.field FROM series s WHERE {where}"
# The (series_id, ts) primary key serves one range per series; the slice is sorted by time.
_RAW = (
    "SELECT series_id, ts, value, quality FROM samples WHERE series_id IN ({ids}) "
    "AND ts >= ? AND ts < ? ORDER BY ts, series_id"
)


def _where(sel: Selector) -> tuple[str, dict[str, Any]]:
    terms = ["s.measurement = :measurement"]
    params: dict[str, Any] = {"measurement": sel.measurement}
    for tag, value in sel.tag_filters():
        terms.append(f"s.{tag} = :{tag}")
        params[tag] = value
    if sel.fields is not None:
        names = [f":f{i}" for i in range(len(sel.fields))]
        terms.append(f"s.field IN ({','.join(names) or 'NULL'})")
        params.update({f"f{i}": f for i, f in enumerate(sel.fields)})
    return " AND ".join(terms), params


class SqliteReader(SqliteBase):
    """Latest values and aggregated history from the embedded store."""

    def __init__(self, url: StoreUrl) -> None:
        super().__init__(url, readonly=True)

    async def fields(self, measurement: str = "telemetry") -> list[str]:
        sql = "SELECT DISTINCT field FROM series WHERE measurement = ? ORDER BY field"
        rows = await self.run(lambda c: c.execute(sql, (measurement,)).fetchall())
        return [r[0] for r in rows]

    async def latest(self, sel: Selector, since_ms: int | None = None) -> list[LatestValue]:
        where, params = _where(sel)
        if since_ms is not None:
            where += " AND v.ts >= :since"
            params["since"] = since_ms

        def q(c: sqlite3.Connection) -> list[Any]:
            return c.execute(_LATEST.format(where=where), params).fetchall()

        return [
            LatestValue(SeriesKey(*r[:6]), int(r[6]), float(r[7]), r[8] or "good") for r in await self.run(q)
        ]

    async def history(
        self, sel: Selector, start_ms: int, end_ms: int, interval_ms: int, origin_ms: int = 0
    ) -> list[History]:
        if interval_ms <= 0 or end_ms <= start_ms:
            raise ValueError("need interval_ms > 0 and end_ms > start_ms")
        where, params = _where(sel)
        off = bucket_offset(origin_ms, interval_ms)  # SQLite's % keeps the dividend's sign: floored here
        params.update(iv=interval_ms, start=start_ms, end=end_ms, off=off)

        def q(c: sqlite3.Connection) -> list[Any]:
            return c.execute(_HISTORY.format(where=where), params).fetchall()

        out: list[History] = []
        for r in await self.run(q):
            key = SeriesKey(*r[:6])
            bucket = Bucket(int(r[6]), float(r[7]), float(r[8]), float(r[9]), float(r[10]), r[11])
            if not out or out[-1].key != key:
                out.append(History(key, []))
            out[-1].buckets.append(bucket)
        return out

    async def raw(
        self, sel: Selector, start_ms: int, end_ms: int, page_ms: int = RAW_PAGE_MS
    ) -> AsyncIterator[RawPage]:
        if page_ms <= 0:
            raise ValueError("need page_ms > 0")
        where, params = _where(sel)
        rows = await self.run(lambda c: c.execute(_SERIES.format(where=where), params).fetchall())
        if not rows:
            return
        keys = [SeriesKey(*r[1:]) for r in rows]
        index = {int(r[0]): i for i, r in enumerate(rows)}
        sql = _RAW.format(ids=",".join(str(i) for i in index))
        t = start_ms
        while t < end_ms:
            stop = min(end_ms, t + page_ms)
            yield await self.run(functools.partial(_page, sql=sql, start=t, end=stop, keys=keys, index=index))
            t = stop


def _page(
    c: sqlite3.Connection, sql: str, start: int, end: int, keys: list[SeriesKey], index: dict[int, int]
) -> RawPage:
    """One slice as columns, built in the worker thread."""
    rows = c.execute(sql, (start, end)).fetchall()
    if not rows:
        return RawPage(start, end, keys, array("l"), array("q"), array("d"), array("B"))
    sid, ts, value, quality = zip(*rows, strict=True)
    # Good samples (NULL) are the overwhelming case: no call per row for them.
    good = quality.count(None) == len(quality)
    return RawPage(
        start,
        end,
        keys,
        array("l", map(index.__getitem__, sid)),
        array("q", ts),
        array("d", value),
        array("B", bytes(len(quality)) if good else map(quality_code, quality)),
    )
