"""The embedded store keeps ``retention_days`` of samples and deletes what is older."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from iiot_core.errors import ConfigError
from iiot_core.store import MEASUREMENT_TELEMETRY, open_writer
from iiot_core.store.url import DEFAULT_RETENTION_DAYS, parse_store_url
from tests.support.samples import make_msg, now_ms

DAY_MS = 86_400_000


def _rows(db: Path) -> list[int]:
    with sqlite3.connect(db) as c:
        return [int(ts) for (ts,) in c.execute("SELECT DISTINCT ts FROM samples ORDER BY ts")]


async def test_samples_past_retention_are_deleted_and_recent_ones_kept(tmp_path: Path) -> None:
    db = tmp_path / "zcf.db"
    writer = open_writer(f"sqlite:///{db}?retention_days=30")
    now = now_ms()
    ages = (400, 31, 29, 1)  # days
    await writer.write(
        [(MEASUREMENT_TELEMETRY, make_msg("m1", i, now - d * DAY_MS)) for i, d in enumerate(ages)]
    )
    writer.retention._next = 0  # purge again now rather than in an hour
    await writer.write([(MEASUREMENT_TELEMETRY, make_msg("m2", 9, now))])
    await writer.close()
    assert _rows(db) == [now - 29 * DAY_MS, now - DAY_MS, now]
    assert writer.retention.deleted == 2 * 2  # two old messages of two points each


async def test_retention_zero_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "zcf.db"
    writer = open_writer(f"sqlite:///{db}?retention_days=0")
    old = now_ms() - 5000 * DAY_MS
    await writer.write([(MEASUREMENT_TELEMETRY, make_msg("m1", 1, old))])
    writer.retention._next = 0
    await writer.write([(MEASUREMENT_TELEMETRY, make_msg("m1", 2, old + 1))])
    await writer.close()
    assert _rows(db) == [old, old + 1]


def test_default_retention_is_400_days_and_bad_values_are_named() -> None:
    assert parse_store_url("sqlite:///data/zcf.db").retention_days == DEFAULT_RETENTION_DAYS == 400
    for bad, says in (("?retention_days=-1", "0 (keep everything) or more"), ("?keep=3", "unknown option")):
        with pytest.raises(ConfigError) as err:
            parse_store_url(f"sqlite:///data/zcf.db{bad}")
        assert says in err.value.problems[0]
