"""Reporting periods: a month, a quarter or a year in the site's time zone, and "to date".

Keys: ``2026-11`` (month), ``2026-Q4`` (quarter), ``2026`` (year). A period runs from local
midnight of its first day to local midnight after its last day, as UTC milliseconds; across a
DST change its hours are 1 fewer or more than 24 x days (zoneinfo does the arithmetic).
A running period is reported "to date": ``Period.until(as_of_ms)`` is where its data ends.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]
_KEY = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>\d{2})|Q(?P<q>[1-4])))?$")


class PeriodError(ValueError):
    """A period key that is not ``YYYY``, ``YYYY-MM`` or ``YYYY-Qn``."""


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    kind: PeriodKind
    start_ms: int  # site-local midnight of the first day, UTC ms
    end_ms: int  # exclusive: local midnight after the last day
    tz: str

    def until(self, as_of_ms: int | None) -> int:
        """End of the covered part: the period's end, or ``as_of_ms`` while it is running."""
        return self.end_ms if as_of_ms is None else max(self.start_ms, min(self.end_ms, as_of_ms))

    def running(self, now_ms: int) -> bool:
        return self.start_ms <= now_ms < self.end_ms

    def months(self) -> list[Period]:
        """The months of this period, in order (a month is its own only month)."""
        first = _local_date(self.start_ms, self.tz)
        n = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return [_month(first.year, first.month + i, self.tz) for i in range(n)]


def _ms(d: dt.date, tz: str) -> int:
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=zoneinfo.ZoneInfo(tz)).timestamp() * 1000)


def _local_date(ts_ms: int, tz: str) -> dt.date:
    return dt.datetime.fromtimestamp(ts_ms / 1000, zoneinfo.ZoneInfo(tz)).date()


def _span(key: str, kind: PeriodKind, first: dt.date, after: dt.date, tz: str) -> Period:
    return Period(key, kind, _ms(first, tz), _ms(after, tz), tz)


def _month(year: int, month: int, tz: str) -> Period:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    return _span(f"{year:04d}-{month:02d}", "month", dt.date(year, month, 1), after, tz)


def _quarter(year: int, q: int, tz: str) -> Period:
    first = dt.date(year, 3 * q - 2, 1)
    after = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return _span(f"{year:04d}-Q{q}", "quarter", first, after, tz)


def _year(year: int, tz: str) -> Period:
    return _span(f"{year:04d}", "year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1), tz)


def parse_period(key: str, tz: str) -> Period:
    """The period named ``key`` in time zone ``tz``; PeriodError naming the key if it is malformed."""
    m = _KEY.match(key.strip())
    if m is None:
        raise PeriodError(f"period {key!r}: expected YYYY, YYYY-MM or YYYY-Qn (e.g. 2026, 2026-11, 2026-Q4)")
    year = int(m["y"])
    if not 1970 <= year <= 9998:
        raise PeriodError(f"period {key!r}: year {year} is outside 1970..9998")
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"period {key!r}: unknown time zone {tz!r}") from exc
    if m["m"] is not None:
        month = int(m["m"])
        if not 1 <= month <= 12:
            raise PeriodError(f"period {key!r}: month {month:02d} is not 01..12")
        return _month(year, month, tz)
    if m["q"] is not None:
        return _quarter(year, int(m["q"]), tz)
    return _year(year, tz)


def current_period(kind: PeriodKind, tz: str, now_ms: int) -> Period:
    """The month, quarter or year holding ``now_ms`` (site-local); report it to date with ``until``."""
    d = _local_date(now_ms, tz)
    if kind == "month":
        return _month(d.year, d.month, tz)
    if kind == "quarter":
        return _quarter(d.year, (d.month - 1) // 3 + 1, tz)
    if kind == "year":
        return _year(d.year, tz)
    raise PeriodError(f"period kind {kind!r}: expected month, quarter or year")
