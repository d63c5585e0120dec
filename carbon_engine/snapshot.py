"""Engine state on disk: counter baselines, open windows (today's totals included), alert rule state.

Written atomically (temporary file + rename), with the messages the service still had to
publish and the journal generation that follows it. Restored at start when its channels match
the plant file, then the journal written since is replayed (``journal.py``): what the engine
acknowledged to the broker is never lost. Samples at or before a channel's restored baseline
are replays and count once. Event-time state is restored as it was; the arrival clock (idle
close, stale devices) resumes at the first tick after the restart, so the downtime counts as
neither idleness nor staleness.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carbon_engine.journal import MARK, Journal, Mark
from carbon_engine.results import Outbound
from carbon_engine.windows import Acc
from iiot_core.codec import decode_telemetry
from iiot_core.errors import WireError
from iiot_core.model import Telemetry

if TYPE_CHECKING:
    from carbon_engine.engine import Engine

log = logging.getLogger(__name__)

VERSION = 1
REPLAY_BATCH = 5000


def state(engine: Engine, journal_gen: int = 0, outbox: Sequence[Outbound] = ()) -> dict[str, Any]:
    """The engine state as a JSON-ready dict."""
    engine.flush()
    w = engine.windows
    return {
        "version": VERSION,
        "site": engine.site,
        "channels": [c.id for c in engine.topo.channels],
        "max_ts": engine.max_ts,
        "min_ts": engine.min_ts,
        "now_ms": engine.now_ms,
        "last_arrival_ms": engine.now_ms if engine._fresh else engine.last_arrival_ms,
        "started_ms": engine.started_ms,
        "watermark": w.watermark,
        "dropped": w.dropped,
        "meters": engine.meters.dump(),
        "windows": [a.dump() for size in w.sizes for a in w.open[size].values()],
        "rules": engine.rules.dump(),
        "devices": engine.tracker.dump(engine.now_ms),
        "seq": engine.pub.seq,
        "stats": engine.stats,
        "journal_gen": journal_gen,
        "outbox": [_outbound(m) for m in outbox],
    }


def _outbound(m: Outbound) -> list[Any]:
    mark = [m.mark.key, m.mark.start, m.mark.seq, m.mark.values] if m.mark is not None else None
    return [m.topic, m.payload.decode(), m.retain, mark]


def _outbound_from(raw: list[Any]) -> Outbound:
    topic, payload, retain, mark = raw
    m = Mark(str(mark[0]), int(mark[1]), int(mark[2]), dict(mark[3])) if mark else None
    return Outbound(str(topic), str(payload).encode(), bool(retain), m)


def apply(engine: Engine, data: dict[str, Any]) -> bool:
    """Load a state dict into a fresh engine; False (and nothing changed) if it does not fit."""
    channels = [c.id for c in engine.topo.channels]
    if data.get("version") != VERSION or data.get("site") != engine.site or data.get("channels") != channels:
        log.warning("engine snapshot does not match the plant file (meters changed?); starting fresh")
        return False
    engine.max_ts = int(data["max_ts"])
    engine.min_ts = int(data.get("min_ts", data["max_ts"]))
    engine.now_ms = int(data["now_ms"])
    engine.last_arrival_ms = int(data["last_arrival_ms"])
    engine.started_ms = data.get("started_ms")
    w = engine.windows
    w.watermark = int(data["watermark"])
    w.dropped.update(data.get("dropped", {}))
    engine.meters.load(data["meters"])
    for raw in data["windows"]:
        acc = Acc.load(raw)
        if acc.size in w.open:
            w.open[acc.size][acc.start] = acc
    engine.rules.load(data.get("rules", {}))
    engine.tracker.load(data.get("devices", {}))
    engine.pub.seq.update(data.get("seq", {}))
    engine.stats.update(data.get("stats", {}))
    engine.restored_outbox = [_outbound_from(m) for m in data.get("outbox", [])]
    engine.stopped_ms = engine.now_ms
    return True


def save(engine: Engine, path: Path, journal_gen: int = 0, outbox: Sequence[Outbound] = ()) -> bool:
    """Write the snapshot atomically; False (logged) when it cannot be written."""
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(state(engine, journal_gen, outbox), separators=(",", ":")))
        os.replace(tmp, path)
    except OSError as exc:
        log.error("cannot write engine snapshot path=%s error=%s", path, exc)
        return False
    return True


def restore(engine: Engine, path: Path, journal: Journal | None = None) -> bool:
    """Load the snapshot (if it fits the plant), then replay the journal written after it."""
    data = _read(path)
    ok = data is not None and apply(engine, data)
    if ok:
        log.info("engine state restored path=%s watermark=%d", path, engine.windows.watermark)
    if journal is not None:
        from_gen = int(data.get("journal_gen", 0)) if ok and data is not None else 0
        replay(engine, journal, from_gen)
    return ok


def _read(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        log.error("cannot read engine snapshot path=%s error=%s; starting fresh", path, exc)
        return None


def replay(engine: Engine, journal: Journal, from_gen: int) -> None:
    """Feed the journalled telemetry again, in order, and restore the publication marks."""
    batch: list[Telemetry] = []
    messages = marks = 0
    acked: set[tuple[str, int, int]] = set()

    def feed() -> None:
        if batch:
            engine.ingest_many(batch)
            engine.flush()  # windows exist before a mark that names them is applied
            batch.clear()

    for kind, body in journal.records(from_gen):
        if kind == MARK:
            feed()
            mark = Mark.decode(body)
            engine.pub.record(mark)
            acked.add((mark.key, mark.start, mark.seq))
            marks += 1
            continue
        try:
            batch.append(decode_telemetry(body))
        except WireError:
            continue  # it was refused the first time too
        messages += 1
        if len(batch) >= REPLAY_BATCH:
            feed()
    feed()
    # Outbox messages of the snapshot that the broker acknowledged after it are not sent again.
    engine.restored_outbox = [
        m
        for m in engine.restored_outbox
        if m.mark is None or (m.mark.key, m.mark.start, m.mark.seq) not in acked
    ]
    if messages or marks:
        log.info("engine journal replayed messages=%d marks=%d from_generation=%d", messages, marks, from_gen)
