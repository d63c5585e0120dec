"""Telemetry as the edge agent would publish it, generated from the simulators' scenario."""

from __future__ import annotations

from collections import Counter

from iiot_core.model import SCHEMA_VERSION, Point, Telemetry
from simulators.register_maps import POINT_UNITS
from simulators.scenario import Scenario, ScenarioConfig
from simulators.truth import device_points

SITE = "plant1"
# Asset path of each device of the example plant (the shared plant contract).
ASSETS: dict[str, tuple[str, str]] = {
    "main-meter": ("utilities", "incomer"),
    "line1-meter": ("assembly", "line1"),
    "pv-inverter": ("utilities", "pv"),
    "line2-meter": ("assembly", "line2"),
    "line1-plc": ("assembly", "line1"),
    "line2-plc": ("assembly", "line2"),
}


class PlantFeed:
    """One Telemetry message per device for any (increasing) simulated time."""

    def __init__(self, start_s: float, seed: int = 1) -> None:
        self.scenario = Scenario(ScenarioConfig(start=start_s, seed=seed))
        self.seq: Counter[str] = Counter()

    def messages(self, t_s: float) -> list[Telemetry]:
        snapshot = self.scenario.advance(t_s)
        ts = int(t_s * 1000)
        out = []
        for device, points in device_points(snapshot).items():
            area, line = ASSETS[device]
            self.seq[device] += 1
            pts = [Point(n, float(v), ts, POINT_UNITS.get(n, "")) for n, v in points.items()]
            out.append(Telemetry(SCHEMA_VERSION, SITE, area, line, device, self.seq[device], ts, pts))
        return out
