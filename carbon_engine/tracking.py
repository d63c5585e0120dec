"""Device tracking for batches: one update per device per batch, as if each message came in turn."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from carbon_engine.devices import DeviceTracker
from iiot_core.model import Quality, Telemetry

_DEVICE = attrgetter("device")
_TS = attrgetter("ts")
_VALUES = {q: q.value for q in Quality}


class BatchTracker(DeviceTracker):
    """``DeviceTracker`` plus ``telemetry_many``: same state as ``telemetry`` on every message."""

    def __init__(self, site: str, expected: dict[str, str]) -> None:
        super().__init__(site, expected)
        self._code: dict[str, int] = {}

    def telemetry_many(self, msgs: Sequence[Telemetry], now_ms: int | None) -> None:
        # The last message of a device sets path and quality; last_seen is the newest of all.
        devs = list(map(_DEVICE, msgs))
        newest = self._newest(devs, msgs)
        code, info_of, pending = self._code, self.info, self._pending
        for dev, m in dict(zip(devs, msgs, strict=True)).items():
            info = info_of.get(dev)
            pts = m.points
            q = pts[0].quality if len(pts) == 1 else None
            if info is None or q not in _VALUES:
                self.telemetry(m, now_ms)  # new device or several points: the general update
                info = info_of[dev]
            else:
                info.path = f"{m.site}/{m.area}/{m.line}"
                if now_ms is None:
                    pending.add(dev)
                else:
                    info.last_arrival = now_ms
                info.quality = _VALUES[q]
                if info.state == "unknown":
                    info.state = "online"
            info.last_seen = max(info.last_seen or 0, newest[code[dev]])

    def _newest(self, devs: list[str], msgs: Sequence[Telemetry]) -> list[int]:
        """The newest message timestamp per device code."""
        codes = list(map(self._code.get, devs))
        if None in codes:
            for d in devs:
                self._code.setdefault(d, len(self._code))
            codes = list(map(self._code.get, devs))
        top = np.full(len(self._code), np.iinfo(np.int64).min, dtype=np.int64)
        ts = np.fromiter(map(_TS, msgs), dtype=np.int64, count=len(msgs))
        np.maximum.at(top, np.array(codes, dtype=np.int64), ts)
        top_list: list[int] = top.tolist()
        return top_list


__all__ = ["BatchTracker"]
