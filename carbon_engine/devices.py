"""What the engine knows about devices and edge agents: last message, worst quality, status."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter

import numpy as np

from carbon_engine.view import DeviceView
from iiot_core.model import DeviceStatus, Point, Quality, Telemetry

_RANK = {Quality.GOOD: 0, Quality.ESTIMATED: 1, Quality.STALE: 2, Quality.BAD: 3}
_DEVICE = attrgetter("device")
_TS = attrgetter("ts")
_SEEN = attrgetter("last_seen")
_STATE = attrgetter("state")
log = logging.getLogger(__name__)


@dataclass(slots=True)
class DeviceInfo:
    """One device; once it has sent telemetry, its path and quality are read from its last message.

    Keeping the message rather than the two strings makes a batch update one assignment per device.
    """

    first_path: str  # from the plant file, a status topic or a snapshot
    state: str = "unknown"  # online | offline | unknown
    last_seen: int | None = None  # newest source timestamp
    last_arrival: int | None = None  # engine clock when the last message came
    first_quality: str = ""
    last_msg: Telemetry | None = None
    offline_ts: int = 0  # when the last offline status was issued (its ts)

    @property
    def path(self) -> str:
        m = self.last_msg
        return self.first_path if m is None else f"{m.site}/{m.area}/{m.line}"

    @property
    def quality(self) -> str:
        """Worst quality of the last message's points."""
        return self.first_quality if self.last_msg is None else worst_quality(self.last_msg.points)


class DeviceTracker:
    """Devices the plant reads (known from the plant file) plus any that report status."""

    def __init__(self, site: str, expected: dict[str, str]) -> None:
        self.site = site
        self.info: dict[str, DeviceInfo] = {d: DeviceInfo(path) for d, path in expected.items()}
        self.expected = set(expected)
        self._pending: set[str] = set()

    def arrived(self, now_ms: int) -> None:
        """Stamp devices heard from since the last tick with the engine clock."""
        set_all(map(self.info.__getitem__, self._pending), "last_arrival", repeat(now_ms))
        self._pending.clear()

    def telemetry_many(self, msgs: Sequence[Telemetry], now_ms: int | None) -> None:
        """Telemetry of one site in arrival order: one update per device, as if each came in turn.

        The last message of a device sets path and quality; last_seen is the newest of all. Fields
        are set in C-level ``map(setattr, ...)`` passes; bytecode runs per device only when a
        device is new or leaves the ``unknown`` state.
        """
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
            for name, info in zip(last, infos, strict=True):
                if info.state == "unknown":
                    info.state = "online"
                elif info.state == "offline" and (info.last_seen or 0) > info.offline_ts:
                    _contradicted(name, info)

    def status(self, name: str, path: str, st: DeviceStatus) -> None:
        """A retained status message of a device or (``name`` = ``agent:X``) an edge agent."""
        info = self.info.setdefault(name, DeviceInfo(path))
        info.state = "online" if st.state == "online" else "offline"
        if st.last_seen:
            info.last_seen = max(info.last_seen or 0, st.last_seen)
        if info.state == "offline":
            info.offline_ts = st.ts
            if info.last_msg is not None and (info.last_seen or 0) > st.ts:
                _contradicted(name, info)  # telemetry newer than the status says it is online

    def views(self) -> list[DeviceView]:
        # An offline device's last quality says nothing about now: shown as unknown.
        return [
            DeviceView(
                name,
                i.path,
                i.state if i.state in ("online", "offline") else "unknown",  # type: ignore[arg-type]
                i.last_seen,
                "unknown" if i.state == "offline" else i.quality,
            )
            for name, i in sorted(self.info.items())
        ]

    def resume(self, stopped_ms: int, down_ms: int) -> None:
        """After a restart: arrival times from before the stop move past the downtime."""
        for info in self.info.values():
            if info.last_arrival is not None and info.last_arrival <= stopped_ms:
                info.last_arrival += down_ms

    def dump(self, now_ms: int | None = None) -> dict[str, list[object]]:
        """State for a snapshot; devices heard since the last tick count as arrived at ``now_ms``."""
        return {
            k: [i.path, i.state, i.last_seen, self._arrival(k, i, now_ms), i.quality]
            for k, i in self.info.items()
        }

    def _arrival(self, name: str, info: DeviceInfo, now_ms: int | None) -> int | None:
        return now_ms if name in self._pending and now_ms is not None else info.last_arrival

    def load(self, data: dict[str, list[object]]) -> None:
        for k, (path, state, seen, arrival, quality) in data.items():
            self.info[k] = DeviceInfo(str(path), str(state), _int(seen), _int(arrival), str(quality))


def worst_quality(points: list[Point]) -> str:
    """The worst quality among ``points`` (``good`` when there are none)."""
    return max((p.quality for p in points), key=lambda q: _RANK.get(q, 3), default=Quality.GOOD).value


def set_all(objs: Iterable[object], attr: str, values: Iterable[object]) -> None:
    """``setattr`` on each object in turn, in a C-level loop (no bytecode per object)."""
    deque(map(setattr, objs, repeat(attr), values), maxlen=0)


def _int(v: object) -> int | None:
    return int(v) if isinstance(v, int | float) else None


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


def _contradicted(name: str, info: DeviceInfo) -> None:
    """Fresh telemetry is evidence: a device whose data is newer than its offline status is online."""
    log.warning(
        "device %s: its status says offline (issued ts=%d) but its telemetry is newer (ts=%d);"
        " counted as online",
        name,
        info.offline_ts,
        info.last_seen or 0,
    )
    info.state = "online"
