"""Reporting periods in the site's time zone, with and without daylight saving time."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from carbon_engine.accounts.periods import PeriodError, current_period, parse_period

SH = "Asia/Shanghai"


def utc_ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp() * 1000)


def test_month_quarter_year_start_at_local_midnight() -> None:
    nov = parse_period("2026-11", SH)
    assert nov.kind == "month"
    assert (nov.start_ms, nov.end_ms) == (utc_ms(2026, 10, 31, 16), utc_ms(2026, 11, 30, 16))
    q4 = parse_period("2026-Q4", SH)
    assert (q4.kind, q4.start_ms, q4.end_ms) == ("quarter", utc_ms(2026, 9, 30, 16), utc_ms(2026, 12, 31, 16))
    year = parse_period("2026", SH)
    assert (year.start_ms, year.end_ms) == (utc_ms(2025, 12, 31, 16), utc_ms(2026, 12, 31, 16))
    assert (year.end_ms - year.start_ms) == 365 * 86_400_000
    dec = parse_period("2026-12", SH)
    assert dec.end_ms == year.end_ms


def test_months_tile_the_period() -> None:
    for key in ("2026-Q1", "2026-Q4", "2024"):
        p = parse_period(key, SH)
        months = p.months()
        assert months[0].start_ms == p.start_ms and months[-1].end_ms == p.end_ms
        assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(months))
    assert [m.key for m in parse_period("2026-Q4", SH).months()] == ["2026-10", "2026-11", "2026-12"]


def test_dst_months_are_an_hour_short_or_long() -> None:
    ny = "America/New_York"
    march = parse_period("2026-03", ny)  # DST starts 2026-03-08: 31 days less one hour
    assert march.end_ms - march.start_ms == 31 * 86_400_000 - 3_600_000
    assert march.start_ms == utc_ms(2026, 3, 1, 5)  # EST, UTC-5
    assert march.end_ms == utc_ms(2026, 4, 1, 4)  # EDT, UTC-4
    nov = parse_period("2026-11", ny)  # DST ends 2026-11-01: one hour more
    assert nov.end_ms - nov.start_ms == 30 * 86_400_000 + 3_600_000
    year = parse_period("2026", ny)
    assert year.end_ms - year.start_ms == 365 * 86_400_000
    local = dt.datetime.fromtimestamp(march.end_ms / 1000, ZoneInfo(ny))
    assert (local.day, local.hour, local.minute) == (1, 0, 0)


def test_current_period_and_to_date() -> None:
    now = utc_ms(2026, 11, 30, 17)  # 2026-12-01 01:00 in Shanghai: already December there
    month = current_period("month", SH, now)
    assert month.key == "2026-12" and month.running(now)
    assert month.until(now) == now and month.until(None) == month.end_ms
    assert current_period("quarter", SH, now).key == "2026-Q4"
    assert current_period("year", SH, utc_ms(2026, 12, 31, 16)).key == "2027"
    assert parse_period("2026-11", SH).until(now) == parse_period("2026-11", SH).end_ms


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26-11", "2026/11", "", "2026-11-01"])
def test_bad_key_is_named(key: str) -> None:
    with pytest.raises(PeriodError, match=f"period {key!r}"):
        parse_period(key, SH)


def test_bad_time_zone_is_named() -> None:
    with pytest.raises(PeriodError, match="Mars/Olympus"):
        parse_period("2026", "Mars/Olympus")
