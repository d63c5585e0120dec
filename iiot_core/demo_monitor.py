"""Console view of `zcf demo`: live message counts, last values per device and line intensity."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import paho.mqtt.client as paho

from iiot_core import codec, topics
from iiot_core.errors import WireError

# Points shown per device in the console, in this order when present.
_SHOWN = ("active_power", "pv_power", "import_energy", "pv_energy", "production_count", "gas_flow")
_RESULT_SHOWN = ("intensity_location_kg_per_kwh", "intensity_market_kg_per_kwh", "power_kw")


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
    results: dict[str, dict[str, float]] = field(default_factory=dict)
    first_telemetry_s: float | None = None
    first_result_s: float | None = None
    invalid: int = 0

    def on_message(self, msg: paho.MQTTMessage) -> None:
        parsed = topics.parse_device_topic(msg.topic)
        if parsed is None or parsed.kind == "status":
            return
        try:
            tele = codec.decode_telemetry(msg.payload)
        except WireError:
            self.invalid += 1
            return
        now = time.monotonic()
        if parsed.kind == "result":
            if parsed.device.endswith("1m") or parsed.device == "carbon-live":
                key = "/".join(p for p in (parsed.area, parsed.line) if p != topics.ALL) or "site"
                self.results[key] = {p.name: p.value for p in tele.points}
                if self.first_result_s is None:
                    self.first_result_s = now - self.started
            return
        line = self.devices.setdefault(parsed.device, DeviceLine())
        line.count += 1
        line.last_seen = now
        line.last.update({p.name: (p.value, p.unit) for p in tele.points})
        if self.first_telemetry_s is None:
            self.first_telemetry_s = now - self.started

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
        for key in sorted(self.results):
            vals = self.results[key]
            shown = [f"{k}={vals[k]:.3f}" for k in _RESULT_SHOWN if k in vals]
            out.append(f"  carbon {key:<20} {' '.join(shown)}")
        if self.invalid:
            out.append(f"  invalid messages seen: {self.invalid}")
        return "\n".join(out)
