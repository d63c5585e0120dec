"""Console view of `zcf demo`: live message counts, last values per device and line intensity."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import paho.mqtt.client as paho

from iiot_core import codec, topics
from iiot_core.errors import WireError

# Points shown per device in the console, in this order when present.
_SHOWN = ("active_power", "pv_power", "import_energy", "pv_energy", "production_count", "gas_flow")


@dataclass
class DeviceLine:
    count: int = 0
    last: dict[str, tuple[float, str]] = field(default_factory=dict)
    last_seen: float = 0.0


@dataclass
class DemoMonitor:
    """Counts what crosses the broker; ``render`` gives the text block printed every few seconds."""

    started: float = field(default_factory=time.monotonic)
    devices: dict[str, DeviceLine] = field(default_factory=dict)
    live: list[dict[str, object]] = field(default_factory=list)
    first_telemetry_s: float | None = None
    first_live_s: float | None = None
    invalid: int = 0

    def on_message(self, msg: paho.MQTTMessage) -> None:
        parsed = topics.parse_device_topic(msg.topic)
        if parsed is None or parsed.kind != "telemetry":
            return
        try:
            tele = codec.decode_telemetry(msg.payload)
        except WireError:
            self.invalid += 1
            return
        now = time.monotonic()
        line = self.devices.setdefault(parsed.device, DeviceLine())
        line.count += 1
        line.last_seen = now
        line.last.update({p.name: (p.value, p.unit) for p in tele.points})
        if self.first_telemetry_s is None:
            self.first_telemetry_s = now - self.started

    def on_live(self, rows: list[dict[str, object]]) -> None:
        """Take the engine's ``/api/v1/live`` rows; note when live power first shows."""
        self.live = rows
        if self.first_live_s is None and any(_num(r.get("power_kw")) > 0 for r in rows):
            self.first_live_s = time.monotonic() - self.started

    def render(self) -> str:
        """The current console block."""
        now = time.monotonic()
        out = [f"--- zcf demo: {now - self.started:5.0f} s up, {len(self.devices)} devices ---"]
        for name in sorted(self.devices):
            d = self.devices[name]
            shown = [f"{k}={d.last[k][0]:.2f}{d.last[k][1]}" for k in _SHOWN if k in d.last]
            age = now - d.last_seen
            state = "ok" if age < 10 else f"silent {age:.0f}s"
            out.append(f"  {name:<14} msgs={d.count:<6} {state:<10} {' '.join(shown)}")
        if self.live:
            out.append("  carbon (live, last minute)      kW   kgCO2/kWh loc/mkt  kgCO2/unit  renewable")
        # Site, areas and lines; meters stay in the dashboard.
        for row in (r for r in self.live if str(r.get("path", "")).count("/") <= 2):
            per_unit = row.get("intensity_kg_per_unit")
            out.append(
                f"  {row['path']!s:<28} {_num(row.get('power_kw')):7.1f}"
                f"   {_num(row.get('intensity_location_kg_per_kwh')):.3f}/"
                f"{_num(row.get('intensity_market_kg_per_kwh')):.3f}"
                f"  {'-' if per_unit is None else f'{_num(per_unit):9.3f}':>10}"
                f"   {_num(row.get('renewable_share')):6.1%}"
            )
        if self.invalid:
            out.append(f"  invalid messages seen: {self.invalid}")
        return "\n".join(out)


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
