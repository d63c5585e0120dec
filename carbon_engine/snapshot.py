"""Engine state on disk: the snapshot file (``Engine.to_state``) and the journal replay after it.

The state holds counter baselines, open windows (today's totals included), alert rule state,
device states and series numbers. Written atomically (temporary file + rename), with the
messages the service still had to publish and the journal generation that follows it.
Restored at start when its channels match the plant file, then the journal written since is
replayed (``journal.py``): what the engine acknowledged to the broker is never lost. Samples
at or before a channel's restored baseline are replays and count once. Event-time state is
restored as it was; the arrival clock (idle close, stale devices) resumes at the first tick
after the restart, so the downtime counts as neither idleness nor staleness.
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
from iiot_core.codec import decode_telemetry
from iiot_core.errors import WireError
from iiot_core.model import Telemetry

if TYPE_CHECKING:
    from carbon_engine.engine import Engine

log = logging.getLogger(__name__)

REPLAY_BATCH = 5000


def save(engine: Engine, path: Path, journal_gen: int = 0, outbox: Sequence[Outbound] = ()) -> bool:
    """Write the snapshot atomically; False (logged) when it cannot be written."""
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(engine.to_state(journal_gen, outbox), separators=(",", ":")))
        os.replace(tmp, path)
    except OSError as exc:
        log.error("cannot write engine snapshot path=%s error=%s", path, exc)
        return False
    return True


def restore(engine: Engine, path: Path, journal: Journal | None = None) -> bool:
    """Load the snapshot (if it fits the plant), then replay the journal written after it."""
    data = _read(path)
    ok = data is not None and engine.from_state(data)
    if ok:
        log.info("engine state restored path=%s watermark=%d", path, engine.core.windows.watermark)
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
