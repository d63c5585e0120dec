"""The engine's write-ahead journal: what it accepted since the last snapshot, on disk before the PUBACK.

A message is acknowledged to the broker only once its raw payload is in the journal, so a
crash (SIGKILL included) loses nothing the broker has forgotten: at start the engine restores
its snapshot and replays the journal written after it. Result publications the broker
acknowledged are journalled too ("marks"), so a restart does not publish them again.

Files ``journal-{generation}.bin`` in the engine's data directory; each record is a kind byte
(``T`` telemetry payload, ``P`` publication mark), a 4-byte little-endian length and the body.
A torn record at the end of a file (a crash inside a write) is ignored. The snapshot names the
generation that follows it; older files are deleted once the snapshot is on disk.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_HEAD = struct.Struct("<cI")
TELEMETRY = b"T"
MARK = b"P"


@dataclass(frozen=True, slots=True)
class Mark:
    """A window result the broker acknowledged: series key, window start, seq and values."""

    key: str  # f"{node}|{size}", as Engine numbers its result series
    start: int
    seq: int
    values: dict[str, float]

    def encode(self) -> bytes:
        return json.dumps([self.key, self.start, self.seq, self.values], separators=(",", ":")).encode()

    @staticmethod
    def decode(body: bytes) -> Mark:
        key, start, seq, values = json.loads(body)
        return Mark(str(key), int(start), int(seq), {str(k): float(v) for k, v in values.items()})


class Journal:
    """Append-only record files, one generation between two snapshots."""

    def __init__(self, directory: Path, fsync: bool = False) -> None:
        self.dir = directory
        self.fsync = fsync
        self.gen = max(self.generations(), default=0)
        self._fd: int | None = None

    def generations(self) -> list[int]:
        if not self.dir.exists():
            return []
        gens = []
        for p in self.dir.glob("journal-*.bin"):
            stem = p.stem.removeprefix("journal-")
            if stem.isdigit():
                gens.append(int(stem))
        return sorted(gens)

    def _path(self, gen: int) -> Path:
        return self.dir / f"journal-{gen:010d}.bin"

    # -- writing ------------------------------------------------------------------------------

    def append(self, payloads: list[bytes], marks: list[Mark] | None = None) -> None:
        """Write telemetry payloads and marks in one system call (durable against a process crash)."""
        parts: list[bytes] = []
        for body in payloads:
            parts += (_HEAD.pack(TELEMETRY, len(body)), body)
        for m in marks or []:
            body = m.encode()
            parts += (_HEAD.pack(MARK, len(body)), body)
        if not parts:
            return
        data = b"".join(parts)
        fd = self._open()
        os.write(fd, data)
        if self.fsync:
            os.fsync(fd)

    def _open(self) -> int:
        if self._fd is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._path(self.gen), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        return self._fd

    def rotate(self) -> int:
        """Start a new generation; returns it (the snapshot taken next covers everything before)."""
        self.close()
        self.gen += 1
        return self.gen

    def drop_before(self, gen: int) -> None:
        """Delete the files a snapshot now covers."""
        for g in self.generations():
            if g < gen:
                self._path(g).unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- reading ------------------------------------------------------------------------------

    def records(self, from_gen: int) -> Iterator[tuple[bytes, bytes]]:
        """(kind, body) of every complete record in generations ``from_gen`` and later, in order."""
        for g in self.generations():
            if g >= from_gen:
                yield from _read(self._path(g))


def _read(path: Path) -> Iterator[tuple[bytes, bytes]]:
    data = path.read_bytes()
    pos, end = 0, len(data)
    while pos + _HEAD.size <= end:
        kind, n = _HEAD.unpack_from(data, pos)
        body_at = pos + _HEAD.size
        if body_at + n > end or kind not in (TELEMETRY, MARK):
            log.warning("engine journal ends in a torn record path=%s offset=%d; ignored", path.name, pos)
            return
        yield kind, data[body_at : body_at + n]
        pos = body_at + n
