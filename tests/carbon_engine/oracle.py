"""The per-message path, kept only as a test oracle for the batch router and device tracker.

Routes each point with a dict lookup in plain Python and updates the device it came from, one
message at a time, as the engine did before it had one batch path. ``Engine.ingest_many`` in
any chunking must leave the engine exactly as this does.
"""

from __future__ import annotations

import numpy as np

from carbon_engine.devices import DeviceInfo
from carbon_engine.engine import Engine
from carbon_engine.routing import USABLE, Routed
from iiot_core.model import Telemetry


def ingest_one(engine: Engine, msg: Telemetry, now_ms: int | None = None) -> None:
    core = engine.core
    if msg.site != core.topo.site:
        core.stats["other_site"] += 1
        return
    chan: list[int] = []
    ts: list[int] = []
    val: list[float] = []
    states = {(s.device, s.point) for s in core.line_states.specs}
    core.line_states.observe([msg])
    for p in msg.points:
        idx = core.topo.route.get((msg.device, p.name))
        if (msg.device, p.name) in states:
            core.stats["line_state"] += 1
        elif idx is None:
            core.stats["unrouted"] += 1
        elif p.quality not in USABLE:
            core.stats["bad_quality"] += 1
        else:
            chan.append(idx)
            ts.append(p.ts)
            val.append(p.value)
    routed = Routed(
        np.array(chan, dtype=np.int64), np.array(ts, dtype=np.int64), np.array(val), [len(chan)], None, 0, 0
    )
    core._buffer(routed)
    core._arrived(now_ms)
    _track(engine, msg, now_ms)


def _track(engine: Engine, msg: Telemetry, now_ms: int | None) -> None:
    tracker = engine.tracker
    info = tracker.info.get(msg.device)
    if info is None:
        info = tracker.info[msg.device] = DeviceInfo("")  # the path comes from last_msg
    info.last_msg = msg
    info.last_seen = max(info.last_seen or 0, msg.ts)
    if now_ms is None:
        tracker._pending.add(msg.device)
    else:
        info.last_arrival = now_ms
    if info.state == "unknown":
        info.state = "online"
