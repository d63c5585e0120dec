"""Device tracking for batches: one update per device per batch, as if each message came in turn.

Fields are set with C-level ``map(setattr, ...)`` passes over the batch's devices; bytecode runs
per device only when a device is new or leaves the ``unknown`` state.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from operator import attrgetter

import numpy as np

from carbon_engine.devices import DeviceInfo, DeviceTracker, set_all
from iiot_core.model import Telemetry

_DEVICE = attrgetter("device")
_TS = attrgetter("ts")
_SEEN = attrgetter("last_seen")
_STATE = attrgetter("state")


class BatchTracker(DeviceTracker):
    """``DeviceTracker`` plus ``telemetry_many``: same state as ``telemetry`` on every message."""

    def telemetry_many(self, msgs: Sequence[Telemetry], now_ms: int | None) -> None:
        # The last message of a device sets path and quality; last_seen is the newest of all.
        devs = list(map(_DEVICE, msgs))
        last = dict(zip(devs, msgs, strict=True))
        if not last.keys() <= self.info.keys():
            for name in last:
                self.info.setdefault(name, DeviceInfo(""))  # the path comes from last_msg
        infos = list(map(self.info.__getitem__, last))
        set_all(infos, "last_msg", last.values())
        set_all(infos, "last_seen", _seen(infos, devs, last, msgs))
        if now_ms is None:
            self._pending.update(last)
        else:
            set_all(infos, "last_arrival", repeat(now_ms))
        states = list(map(_STATE, infos))
        if states.count("online") != len(states):
            for info in infos:
                if info.state == "unknown":
                    info.state = "online"


def _seen(
    infos: list[DeviceInfo], devs: list[str], last: dict[str, Telemetry], msgs: Sequence[Telemetry]
) -> list[int]:
    """Each device's last_seen moved up to its newest message of the batch."""
    prev = list(map(_SEEN, infos))
    if None in prev:
        prev = [p or 0 for p in prev]
    ts = np.fromiter(map(_TS, msgs), dtype=np.int64, count=len(msgs))
    if len(last) == len(devs):  # one message per device, in the order of ``last``
        top = ts
    else:
        index = dict(zip(last, range(len(last)), strict=True))
        code = np.fromiter(map(index.__getitem__, devs), dtype=np.int64, count=len(devs))
        top = np.full(len(last), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(top, code, ts)
    seen: list[int] = np.maximum(top, np.array(prev, dtype=np.int64)).tolist()
    return seen


__all__ = ["BatchTracker"]
