"""Crash safety: an engine SIGKILLed twice publishes what its uninterrupted twin publishes.

Two engines get the same stream, each from its own Mosquitto (one broker per engine, so that
their results, on the same topics, stay apart). One is killed at a counter reset and just
after a minute boundary, and restarted 3 s later while the stream goes on. Every 1-minute
window of every node must come out the same (1e-9 relative), and no window may be sent again
unless its values changed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from iiot_core import topics
from iiot_core.clock import now_ms
from iiot_core.codec import encode
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from tests.carbon_engine.twins import STEP_MS, EngineProc, Results, fast_plant, poll, rel_diff
from tests.support.servers import mosquitto

STEPS = 300  # 10 minutes of event time, 20 times faster than real time
PACE_S = 0.1
RESET_AT = 84  # line1's unit counter restarts here


async def _connect(url: str, name: str, results: Results | None = None) -> MqttConnection:
    subs = [Subscription(topics.RESULT_FILTER)] if results is not None else None
    conn = MqttConnection(MqttConfig(url=url), name, subscriptions=subs, on_message=results)
    await conn.start(wait_s=5)
    return conn


def _kill_steps(base: int) -> set[int]:
    """Right after the counter reset, and on the first poll after a minute boundary later on."""
    later = next(s for s in range(170, STEPS) if (base + s * STEP_MS) % 60_000 < STEP_MS)
    return {RESET_AT + 1, later}


async def test_engine_killed_twice_matches_its_twin(tmp_path: Path) -> None:
    plant = fast_plant(tmp_path)
    with mosquitto(_dir(tmp_path, "broker-a")) as ba, mosquitto(_dir(tmp_path, "broker-b")) as bb:
        twin = EngineProc(plant, tmp_path / "twin", ba.url, "zcf-engine-twin")
        victim = EngineProc(plant, tmp_path / "victim", bb.url, "zcf-engine-victim")
        seen_a, seen_b = Results(), Results()
        watch_a, watch_b = (
            await _connect(ba.url, "watch-a", seen_a),
            await _connect(bb.url, "watch-b", seen_b),
        )
        pub_a, pub_b = await _connect(ba.url, "pub-a"), await _connect(bb.url, "pub-b")
        twin.start()
        victim.start()
        await twin.connected()  # subscribed: persistent sessions from now on
        await victim.connected()
        base = (now_ms() - STEPS * STEP_MS) // 1000 * 1000
        kills, restart_at = _kill_steps(base), float("inf")
        try:
            for step in range(STEPS):
                t = base + step * STEP_MS
                msgs = poll(step, t, RESET_AT)
                futs = [
                    c.publish(topics.telemetry("plant1", "a", "l", m.device), encode(m))
                    for m in msgs
                    for c in (pub_a, pub_b)
                ]
                await asyncio.wait_for(asyncio.gather(*futs), 10)
                if step in kills:
                    # Kill with acknowledged messages that only the journal holds.
                    await _until(lambda: _journalled(victim.data / "engine") > 0, 2)
                    victim.kill()
                    restart_at = time.monotonic() + 3.0
                if victim.proc is None and time.monotonic() >= restart_at:
                    victim.start()
                await asyncio.sleep(PACE_S)
            last = base + (STEPS - 1) * STEP_MS
            until = (last - 2000) // 60_000 * 60_000 - 60_000  # windows every engine has closed
            await _until(lambda: _complete(seen_a, until) and _complete(seen_b, until), 30)
            await asyncio.sleep(1.0)
        finally:
            codes = (twin.stop(), victim.stop())
            for c in (watch_a, watch_b, pub_a, pub_b):
                await c.stop()
    assert codes == (0, 0), victim.log.read_text()[-3000:]
    assert victim.starts == 3
    log = victim.log.read_text()
    # The kills hit data the snapshot did not hold: the journal brought it back.
    assert log.count("engine journal replayed") == 2, log[-3000:]
    a, b = seen_a.final(until), seen_b.final(until)
    assert len(a) >= 8 * 17 and a.keys() == b.keys(), sorted(set(a) ^ set(b))[:5]
    worst = max(rel_diff(a[k], b[k]) for k in a)
    print(f"twin comparison: windows={len(a)} max_rel_diff={worst:.3g}")
    assert worst <= 1e-9, [(k, a[k], b[k]) for k in a if rel_diff(a[k], b[k]) > 1e-9][:3]
    assert not seen_b.republished_unchanged(), seen_b.republished_unchanged()[:5]
    assert not seen_a.republished_unchanged()


def _journalled(engine_dir: Path) -> int:
    """Bytes in the newest journal file (the one the last snapshot started)."""
    files = sorted(engine_dir.glob("journal-*.bin"))
    return files[-1].stat().st_size if files else 0


def _complete(seen: Results, until: int) -> bool:
    site = topics.result("plant1", topics.ALL, topics.ALL, "carbon-1m")
    return (site, until - 60_000) in seen.by_window


async def _until(cond: object, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "results did not arrive in time"
        await asyncio.sleep(0.2)


def _dir(tmp: Path, name: str) -> Path:
    d = tmp / name
    d.mkdir()
    return d
