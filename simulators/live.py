"""The running plant's cached state: scenario snapshot, device points, register and bit images.

Servers call :meth:`LiveModel.refresh` on every read; it recomputes at most once per
``refresh_s`` of real time, so a fast poller costs a time check and a list copy per read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Literal

from simulators.encoding import encode_value
from simulators.register_maps import Bit, ModbusDeviceMap
from simulators.scenario import Scenario, ScenarioClock, Snapshot
from simulators.truth import device_points

log = logging.getLogger(__name__)


def register_image(device: ModbusDeviceMap, points: dict[str, float], previous: list[int]) -> list[int]:
    """All ``device.size`` registers (from address 0) encoded from the device's points."""
    image = list(previous) if previous else [0] * device.size
    for f in device.fields:
        raw = points[f.point] * f.factor
        try:
            words = encode_value(raw, f.dtype, device.order)
        except ValueError:
            # Keep the last good words: a meter does not publish garbage when a value overflows.
            log.warning("value out of range device=%s point=%s raw=%r", device.name, f.point, raw)
            continue
        image[f.address : f.address + len(words)] = words
    return image


def bit_image(bits: tuple[Bit, ...], points: dict[str, float]) -> list[bool]:
    """Every bit from address 0 up to the last one defined; gaps read as False."""
    image = [False] * (max((b.address for b in bits), default=-1) + 1)
    for b in bits:
        image[b.address] = points[b.point] != 0.0
    return image


class LiveModel:
    """Scenario + clock + cache, shared by every server of one plant."""

    def __init__(
        self,
        scenario: Scenario,
        clock: ScenarioClock,
        devices: Iterable[ModbusDeviceMap],
        refresh_s: float = 0.05,
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.refresh_s = refresh_s
        self._devices = {d.name: d for d in devices}
        self._images: dict[str, list[int]] = {}
        self._bits: dict[tuple[str, str], list[bool]] = {}
        self._last_mono = -1e18
        self.snapshot: Snapshot = scenario.last
        self.points: dict[str, dict[str, float]] = {}
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Recompute from the scenario if the cache is older than ``refresh_s`` (real time)."""
        mono = time.monotonic()
        if not force and mono - self._last_mono < self.refresh_s:
            return
        self._last_mono = mono
        self.snapshot = self.scenario.advance(self.clock.now())
        self.points = device_points(self.snapshot)
        for name, dev in self._devices.items():
            self._images[name] = register_image(dev, self.points[name], self._images.get(name, []))
            self._bits[name, "coil"] = bit_image(dev.coils, self.points[name])
            self._bits[name, "discrete"] = bit_image(dev.discretes, self.points[name])

    def image(self, device: str) -> list[int]:
        """Current register words of a Modbus device, address 0 first."""
        return self._images[device]

    def bits(self, device: str, kind: Literal["coil", "discrete"]) -> list[bool]:
        """Current coils or discrete inputs of a Modbus device, address 0 first."""
        return self._bits[device, kind]

    def truth(self, device: str, point: str) -> float:
        """Current engineering value of a point, in its published unit."""
        self.refresh()
        return self.points[device][point]
