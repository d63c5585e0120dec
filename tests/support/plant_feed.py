"""Telemetry as the edge agent would publish it, generated from the simulators' scenario."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

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


# The scenario is played as if "now" were this local time of day (mid-shift, daylight), so that
# tests do not depend on the hour they run at: at a shift change the lines stand idle and the
# production counters reset, at night PV is zero. Message timestamps stay real.
SCENARIO_LOCAL_HOUR = 11.0
SITE_TZ = ZoneInfo("Asia/Shanghai")


def _scenario_offset(now_s: float) -> float:
    local = datetime.fromtimestamp(now_s, SITE_TZ)
    seconds_today = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return SCENARIO_LOCAL_HOUR * 3600 - seconds_today


class PlantFeed:
    """One Telemetry message per device for any (increasing) time, stamped with that time."""

    def __init__(
        self, start_s: float, seed: int = 1, now_s: float | None = None, step_s: float = 2.0
    ) -> None:
        """``step_s``: the scenario's integration step (longer runs faster, counters coarser)."""
        self.offset = _scenario_offset(time.time() if now_s is None else now_s)
        self.scenario = Scenario(ScenarioConfig(start=start_s + self.offset, seed=seed, step_s=step_s))
        self.seq: Counter[str] = Counter()

    def messages(self, t_s: float) -> list[Telemetry]:
        snapshot = self.scenario.advance(t_s + self.offset)
        ts = int(t_s * 1000)
        out = []
        for device, points in device_points(snapshot).items():
            area, line = ASSETS[device]
            self.seq[device] += 1
            pts = [Point(n, float(v), ts, POINT_UNITS.get(n, "")) for n, v in points.items()]
            out.append(Telemetry(SCHEMA_VERSION, SITE, area, line, device, self.seq[device], ts, pts))
        return out
