"""The SQLite outbox: durable across reopen, ids never reused, bounded with counted drops."""

from __future__ import annotations

import time
from pathlib import Path

from edge_agent.outbox import ROW_OVERHEAD, Outbox

TOPIC = "zcf/v1/plant1/a/l/d/telemetry"


def _rows(n: int, created: int = 0, size: int = 100) -> list[tuple[str, bytes, int]]:
    return [(TOPIC, b"x" * size, created or int(time.time() * 1000)) for _ in range(n)]


def test_rows_and_seqs_survive_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "b.sqlite", 10**9, 3600)
    box.open()
    ids = box.append(_rows(5), {"meter": 5})
    box.delete(ids[:2])
    box.close()
    again = Outbox(tmp_path / "b.sqlite", 10**9, 3600)
    again.open()
    assert again.count == 3
    assert again.bytes == 3 * (100 + len(TOPIC) + ROW_OVERHEAD)
    assert again.load_seqs() == {"meter": 5}
    assert [r.id for r in again.oldest(0, 10)] == ids[2:]
    again.delete(ids[2:])
    # Emptied table: new ids still grow, so an id awaiting deletion never names a new row.
    assert again.append(_rows(1), {})[0] > ids[-1]
    again.close()


def test_oldest_pages_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "b.sqlite", 10**9, 3600)
    box.open()
    ids = box.append(_rows(10), {})
    assert [r.id for r in box.oldest(ids[3], 4)] == ids[4:8]
    box.close()


def test_size_limit_drops_oldest_first(tmp_path: Path) -> None:
    row = 1000 + len(TOPIC) + ROW_OVERHEAD
    box = Outbox(tmp_path / "b.sqlite", max_bytes=10 * row, max_age_s=3600)
    box.open()
    ids = box.append(_rows(25, size=1000), {})
    dropped = box.enforce_limits(int(time.time() * 1000))
    assert (dropped.by_age, dropped.by_size) == (0, 15)
    assert [r.id for r in box.oldest(0, 100)] == ids[15:]
    assert box.bytes <= box.max_bytes
    box.close()


def test_age_limit(tmp_path: Path) -> None:
    now = int(time.time() * 1000)
    box = Outbox(tmp_path / "b.sqlite", 10**9, max_age_s=60)
    box.open()
    box.append(_rows(3, created=now - 120_000), {})
    fresh = box.append(_rows(2, created=now - 1_000), {})
    assert box.enforce_limits(now).by_age == 3
    assert [r.id for r in box.oldest(0, 10)] == fresh
    box.close()


def test_batches_are_appended_and_deleted_as_units(tmp_path: Path) -> None:
    # Speed is bench/'s business (bench_edge_modbus.py runs through the outbox), not a
    # test's; this checks the bookkeeping the forwarder relies on for whole batches.
    row = 600 + len(TOPIC) + ROW_OVERHEAD
    box = Outbox(tmp_path / "b.sqlite", 10**9, 3600)
    box.open()
    every: list[int] = []
    for batch in range(1, 21):
        ids = box.append(_rows(250, size=600), {"d": batch})
        assert ids == list(range(ids[0], ids[0] + 250))
        assert (box.count, box.bytes) == (250, 250 * row)
        assert box.delete(ids) == 250
        assert box.delete(ids) == 0  # a repeated acknowledgement deletes nothing
        every += ids
    assert every == sorted(set(every))  # ids never reused across batches
    assert (box.count, box.bytes) == (0, 0)
    box.close()
    again = Outbox(tmp_path / "b.sqlite", 10**9, 3600)
    again.open()
    assert (again.count, again.bytes, again.load_seqs()) == (0, 0, {"d": 20})
    again.close()
