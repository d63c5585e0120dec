"""The store-and-forward outbox: an SQLite (WAL) file holding every message not yet PUBACKed.

Every telemetry message is written here before it is published and deleted only once the
broker has acknowledged it, so a message is always either acknowledged or on disk. The
file also keeps the last sequence number of each device, so that numbering continues
across restarts. Size and age are bounded; the oldest messages are dropped first, counted.

All methods are synchronous and meant to run on one worker thread (see ``OutboxWorker``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from iiot_core.errors import ZcfError

log = logging.getLogger(__name__)

# Per-row bookkeeping of SQLite (rowid, page slack, index), counted against max_bytes.
ROW_OVERHEAD = 48

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    -- AUTOINCREMENT: ids are never reused, even when the table empties, so an id awaiting
    -- deletion after its PUBACK can never name a newer message.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox (created_ms);
CREATE TABLE IF NOT EXISTS seq (device TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""

T = TypeVar("T")


class OutboxError(ZcfError):
    """The outbox file cannot be opened or written."""


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Dropped:
    """Messages dropped by one limit check, by cause."""

    by_age: int = 0
    by_size: int = 0


class Outbox:
    """The SQLite outbox; not thread-safe: use it from one thread."""

    def __init__(self, path: str | Path, max_bytes: int, max_age_s: float) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.max_age_ms = int(max_age_s * 1000)
        self.count = 0
        self.bytes = 0
        self._db: sqlite3.Connection | None = None
        self._next_id = 1

    def open(self) -> None:
        """Open (creating if needed) the file; load the row count and byte total."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a process crash; only an OS crash can
            # lose the last transactions, which is the trade-off that sustains high rates.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self.count, self.bytes, last = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(MAX(id), 0) FROM outbox"
            ).fetchone()
            (used,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'outbox'"
            ).fetchone()
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open buffer {self.path}: {exc}") from exc
        self._db = db
        # Ids are assigned here (one writer) so a batch is one executemany; never reused.
        self._next_id = max(last, used) + 1

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise OutboxError("outbox is not open")
        return self._db

    def load_seqs(self) -> dict[str, int]:
        """The last sequence number written for each device."""
        return dict(self.db.execute("SELECT device, seq FROM seq").fetchall())

    def append(self, rows: Sequence[tuple[str, bytes, int]], seqs: dict[str, int]) -> list[int]:
        """Store (topic, payload, created_ms) rows and the devices' last seq in one transaction."""
        db = self.db
        first = self._next_id
        ids = list(range(first, first + len(rows)))
        sizes = [len(p) + len(t) + ROW_OVERHEAD for t, p, _ in rows]
        try:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO outbox (id, topic, payload, created_ms, size) VALUES (?, ?, ?, ?, ?)",
                [(i, t, p, c, n) for i, (t, p, c), n in zip(ids, rows, sizes, strict=True)],
            )
            db.executemany("INSERT OR REPLACE INTO seq (device, seq) VALUES (?, ?)", seqs.items())
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(db)
            raise OutboxError(f"cannot write buffer {self.path}: {exc}") from exc
        self._next_id = first + len(rows)
        self.count += len(ids)
        self.bytes += sum(sizes)
        return ids

    def delete(self, ids: Sequence[int]) -> int:
        """Delete acknowledged rows; returns how many were still there."""
        return self._delete_where("id IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))])

    def oldest_created_ms(self) -> int | None:
        """When the oldest message still in the outbox was written (None when it is empty)."""
        row = self.db.execute("SELECT MIN(created_ms) FROM outbox").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def oldest(self, after_id: int, limit: int) -> list[Row]:
        """Up to ``limit`` rows with an id above ``after_id``, oldest first."""
        cur = self.db.execute(
            "SELECT id, topic, payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [Row(i, t, bytes(p)) for i, t, p in cur.fetchall()]

    def enforce_limits(self, now_ms: int) -> Dropped:
        """Drop rows older than max_age, then the oldest rows until under max_bytes."""
        by_age = self._delete_where("created_ms < ?", [now_ms - self.max_age_ms])
        by_size = 0
        if self.bytes > self.max_bytes:
            excess, cut = self.bytes - self.max_bytes, 0
            for row_id, size in self.db.execute("SELECT id, size FROM outbox ORDER BY id"):
                excess, cut = excess - size, row_id
                if excess <= 0:
                    break
            by_size = self._delete_where("id <= ?", [cut])
        return Dropped(by_age, by_size)

    def _delete_where(self, where: str, params: list[object]) -> int:
        db = self.db
        try:
            sizes = db.execute(f"DELETE FROM outbox WHERE {where} RETURNING size", params).fetchall()
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot delete from buffer {self.path}: {exc}") from exc
        self.count -= len(sizes)
        self.bytes -= sum(size for (size,) in sizes)
        return len(sizes)


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        db.execute("ROLLBACK")


class OutboxWorker:
    """Runs an Outbox on one dedicated thread so that disk I/O never blocks the event loop."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="edge-outbox")

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` (a bound Outbox method) on the outbox thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def close(self) -> None:
        await self.call(self.outbox.close)
        self._pool.shutdown(wait=True)
