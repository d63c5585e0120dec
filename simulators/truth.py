"""Map a scenario snapshot onto the contract's device points, in their published units."""

from __future__ import annotations

import math

from simulators.profiles import FAULT, RUNNING, LineValues, text_state
from simulators.scenario import Snapshot

MAIN_PF = 0.95
PHASE_SHARE = (0.98, 1.0, 1.02)  # a slight, fixed load imbalance between the phases


def _main_meter(s: Snapshot) -> dict[str, float]:
    r = s.rates
    watts = r.grid_kw * 1000.0
    out = {
        "active_power": r.grid_kw,
        "import_energy": s.counters.grid_kwh,
    }
    for i, (volts, share) in enumerate(zip(r.phase_v, PHASE_SHARE, strict=True), start=1):
        out[f"voltage_l{i}"] = volts
        out[f"current_l{i}"] = watts / (3.0 * volts * MAIN_PF) * share
    return out


def _plc(
    line: LineValues, local_s: float, units: float, gas_total: float, steam_total: float
) -> dict[str, float]:
    return {
        "production_count": float(math.floor(units)),
        "line_state": float(line.state),
        # The code of the state the PLC shows as a string (profiles.STATE_NAMES).
        "state_text": float(text_state(line.state, local_s)),
        "gas_flow": line.gas_nm3_h,
        "gas_total": gas_total,
        "steam_flow": line.steam_t_h,
        "steam_total": steam_total,
    }


def device_points(s: Snapshot) -> dict[str, dict[str, float]]:
    """Every device's points: ``{device: {point: value}}``."""
    r, c = s.rates, s.counters
    l2_amps = r.line2.kw * 1000.0 / (math.sqrt(3.0) * r.line2_v * r.line2.pf)
    return {
        "main-meter": _main_meter(s),
        "line1-meter": {
            "active_power": r.line1.kw,
            "import_energy": c.line1_kwh,
            "power_factor": r.line1.pf,
            "breaker_closed": 1.0,  # the simulated plant never opens the feeder
            "running": 1.0 if r.line1.state == RUNNING else 0.0,
            "fault_alarm": 1.0 if r.line1.state == FAULT else 0.0,
        },
        "pv-inverter": {
            "pv_power": r.pv_kw,
            "pv_energy": c.pv_kwh,
            "status": 1.0 if r.pv_kw > 0.0 else 0.0,
            "temperature": r.ambient_c + 0.08 * r.pv_kw,
        },
        "line2-meter": {
            "voltage": r.line2_v,
            "current": l2_amps,
            "active_power": r.line2.kw,
            # The register is an integer Wh counter that may have been reset or wrapped.
            "import_energy": s.line2_register_wh / 1000.0,
        },
        "line1-plc": _plc(r.line1, r.local_s, c.line1_units, c.line1_gas_nm3, c.line1_steam_t),
        "line2-plc": _plc(r.line2, r.local_s, c.line2_units, c.line2_gas_nm3, c.line2_steam_t),
    }
