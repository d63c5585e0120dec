"""Engine state on disk: counter baselines, open windows (today's totals included), alert rule state.

Written atomically (temporary file + rename). Restored at start when its channels match the
plant file; samples at or before a channel's restored baseline are then replays and count once.
Event-time state is restored as it was; the arrival clock (idle close, stale devices) resumes
at the first tick after the restart, so the downtime counts as neither idleness nor staleness.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carbon_engine.windows import Acc

if TYPE_CHECKING:
    from carbon_engine.engine import Engine

log = logging.getLogger(__name__)

VERSION = 1


def state(engine: Engine) -> dict[str, Any]:
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
        "seq": engine._seq,
        "stats": engine.stats,
    }


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
    engine._seq.update(data.get("seq", {}))
    engine.stats.update(data.get("stats", {}))
    engine.stopped_ms = engine.now_ms
    return True


def save(engine: Engine, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(state(engine), separators=(",", ":")))
        os.replace(tmp, path)
    except OSError as exc:
        log.error("cannot write engine snapshot path=%s error=%s", path, exc)


def restore(engine: Engine, path: Path) -> bool:
    if not path.exists():
        return False
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        log.error("cannot read engine snapshot path=%s error=%s; starting fresh", path, exc)
        return False
    ok = apply(engine, data)
    if ok:
        log.info("engine state restored path=%s watermark=%d", path, engine.windows.watermark)
    return ok
