"""What the engine knows about devices and edge agents: last message, worst quality, status."""

from __future__ import annotations

from dataclasses import dataclass

from carbon_engine.view import DeviceView
from iiot_core.model import DeviceStatus, Quality, Telemetry

_RANK = {Quality.GOOD: 0, Quality.ESTIMATED: 1, Quality.STALE: 2, Quality.BAD: 3}


@dataclass(slots=True)
class DeviceInfo:
    path: str
    state: str = "unknown"  # online | offline | unknown
    last_seen: int | None = None  # newest source timestamp
    last_arrival: int | None = None  # engine clock when the last message came
    quality: str = ""


class DeviceTracker:
    """Devices the plant reads (known from the plant file) plus any that report status."""

    def __init__(self, site: str, expected: dict[str, str]) -> None:
        self.site = site
        self.info: dict[str, DeviceInfo] = {d: DeviceInfo(path) for d, path in expected.items()}
        self.expected = set(expected)
        self._pending: set[str] = set()

    def arrived(self, now_ms: int) -> None:
        """Stamp devices heard from since the last tick with the engine clock."""
        for name in self._pending:
            self.info[name].last_arrival = now_ms
        self._pending.clear()

    def telemetry(self, msg: Telemetry, now_ms: int | None) -> None:
        info = self.info.get(msg.device)
        if info is None:
            info = self.info[msg.device] = DeviceInfo(f"{msg.site}/{msg.area}/{msg.line}")
        info.path = f"{msg.site}/{msg.area}/{msg.line}"
        info.last_seen = max(info.last_seen or 0, msg.ts)
        if now_ms is None:
            self._pending.add(msg.device)
        else:
            info.last_arrival = now_ms
        worst = max((p.quality for p in msg.points), key=lambda q: _RANK.get(q, 3), default=Quality.GOOD)
        info.quality = worst.value
        if info.state == "unknown":
            info.state = "online"

    def status(self, name: str, path: str, st: DeviceStatus) -> None:
        """A retained status message of a device or (``name`` = ``agent:X``) an edge agent."""
        info = self.info.setdefault(name, DeviceInfo(path))
        info.state = "online" if st.state == "online" else "offline"
        if st.last_seen:
            info.last_seen = max(info.last_seen or 0, st.last_seen)

    def views(self) -> list[DeviceView]:
        return [
            DeviceView(
                name,
                i.path,
                i.state if i.state in ("online", "offline") else "unknown",  # type: ignore[arg-type]
                i.last_seen,
                i.quality,
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


def _int(v: object) -> int | None:
    return int(v) if isinstance(v, int | float) else None
