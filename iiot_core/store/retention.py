"""Retention of the embedded store: samples older than ``retention_days`` are deleted.

Run by the writer after a write, at most every ``PURGE_EVERY_S``; each run deletes at most
``PURGE_ROWS`` rows per series through the (series, ts) primary key, so a store that grew over
its retention shrinks over a few runs without holding the write lock for long. SQLite reuses the
freed pages; the file itself does not shrink (``VACUUM`` while ingest is stopped does that).
"""

from __future__ import annotations

import logging
import sqlite3
import time

log = logging.getLogger(__name__)

PURGE_EVERY_S = 3600.0
PURGE_ROWS = 50_000
_DAY_MS = 86_400_000


class Retention:
    """When to purge, and the purge itself (in the writer's thread, on its connection)."""

    def __init__(self, days: float) -> None:
        self.keep_ms = int(days * _DAY_MS)
        self._next = 0.0  # monotonic time of the next purge: the first write purges
        self.deleted = 0

    def due(self) -> bool:
        return self.keep_ms > 0 and time.monotonic() >= self._next

    def purge(self, conn: sqlite3.Connection, now_ms: int | None = None) -> int:
        """Delete samples older than the retention; returns how many (a bounded number per series)."""
        self._next = time.monotonic() + PURGE_EVERY_S
        cutoff = (time.time_ns() // 1_000_000 if now_ms is None else now_ms) - self.keep_ms
        gone = 0
        with conn:
            for (sid,) in conn.execute("SELECT id FROM series").fetchall():
                cur = conn.execute(
                    "DELETE FROM samples WHERE series_id = ? AND ts IN "
                    "(SELECT ts FROM samples WHERE series_id = ? AND ts < ? ORDER BY ts LIMIT ?)",
                    (sid, sid, cutoff, PURGE_ROWS),
                )
                gone += cur.rowcount
        if gone:
            self.deleted += gone
            log.info("store retention: deleted %d samples older than %.0f days", gone, self.keep_ms / _DAY_MS)
        return gone
