"""Late power samples: the same energy in any arrival order; replays change nothing; memory stays bounded."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from tests.carbon_engine.helpers import DAY_MS, find, ms, telemetry

CASE = Path(__file__).parent / "golden" / "late_power"
START = ms("2024-03-01T02:00:00Z")
# Every 10 s for three minutes: intervals inside one minute and intervals across minute ends.
SAMPLES = [(START + i * 10_000, float(100 + 37 * (i % 5))) for i in range(19)]


def _play(order: list[int], flush: bool = True) -> Engine:
    e = Engine.from_file(CASE / "plant.toml")
    newest = 0
    for i in order:
        t, kw = SAMPLES[i]
        e.ingest(telemetry("main-meter", t, {"active_power": kw}, seq=i))
        newest = max(newest, t)
        e.advance(newest + 10_000)  # windows are published, then corrected by what comes late
    if flush:
        e.advance(newest + 2 * DAY_MS)
    return e


def _energy(e: Engine) -> list[float]:
    out = []
    for size, start in [("1m", START), ("1m", START + 60_000), ("1m", START + 120_000), ("15m", START)]:
        r = find(e, "plant1", size, start)
        assert r is not None
        out.append(r.values["energy_kwh"])
    return out


@pytest.mark.parametrize("seed", range(6))
def test_power_energy_is_the_same_in_any_arrival_order(seed: int) -> None:
    in_order = _energy(_play(list(range(len(SAMPLES)))))
    order = list(range(len(SAMPLES)))
    random.Random(seed).shuffle(order)
    late = _play(order)
    assert _energy(late) == pytest.approx(in_order, rel=1e-9)
    assert late.core.meters.late_ignored == 0


def test_replayed_power_sample_changes_nothing_and_old_samples_are_forgotten() -> None:
    e = _play([0, 1, 2, 3, 6, 7, 5, 4], flush=False)  # 02:00:40 and 02:00:50 late, inside 02:00
    before = _energy_of_first_minute(e)
    pairs = itertools.pairwise(SAMPLES[:7])  # the six intervals of minute 02:00
    assert before == pytest.approx(sum(0.5 * (a + b) * 10 / 3600 for (_, a), (_, b) in pairs))
    e.ingest(telemetry("main-meter", SAMPLES[5][0], {"active_power": SAMPLES[5][1]}))
    e.advance(SAMPLES[6][0] + 20_000)
    assert _energy_of_first_minute(e) == before
    assert (e.core.meters.replayed, e.core.meters.late_ignored) == (1, 0)
    assert len(e.core.meters.trail) == 8
    e.advance(SAMPLES[6][0] + 2 * DAY_MS)
    assert len(e.core.meters.trail) == 0  # every minute closed: no power sample kept


def _energy_of_first_minute(e: Engine) -> float:
    r = find(e, "plant1", "1m", START)
    assert r is not None
    return float(r.values["energy_kwh"])
