"""Hot standby: two engines of one site on one broker; the standby takes over when the active dies.

Both follow the same stream; only the lease holder publishes. The active one is SIGKILLed
mid-stream (and comes back later, as a follower). Every 1-minute window of every node must be
published, all publications of a window must carry the same values, and those values must be
what one engine fed the whole stream computes.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import paho.mqtt.client as paho

from carbon_engine.engine import Engine
from iiot_core import topics
from iiot_core.clock import now_ms
from iiot_core.codec import encode
from iiot_core.mqtt import MqttConnection, Subscription
from iiot_core.mqtt_config import MqttConfig
from tests.carbon_engine.twins import STEP_MS, EngineProc, Results, fast_plant, poll, rel_diff
from tests.support.servers import Mosquitto

STEPS = 240  # 8 minutes of event time, 20 times faster than real time
PACE_S = 0.1
KILL_AT = 110
BACK_AT = 170  # the killed engine comes back, and must only follow
LEASE_S = 3.0


class _Leases:
    def __init__(self) -> None:
        self.changes: list[tuple[float, str]] = []  # (monotonic time, holder) when the holder changes

    def __call__(self, msg: paho.MQTTMessage) -> None:
        holder = json.loads(msg.payload).get("holder", "") if msg.payload else ""
        if not self.changes or self.changes[-1][1] != holder:
            self.changes.append((time.monotonic(), holder))


async def test_standby_takes_over_when_the_active_engine_dies(broker: Mosquitto, tmp_path: Path) -> None:
    plant = fast_plant(tmp_path)
    lease = ["--lease-s", str(LEASE_S)]
    active = EngineProc(plant, tmp_path / "a", broker.url, "engine-a", lease)
    standby = EngineProc(plant, tmp_path / "b", broker.url, "engine-b", [*lease, "--standby"])
    seen, leases = Results(), _Leases()

    def route(msg: paho.MQTTMessage) -> None:
        (leases if msg.topic.endswith("/lease") else seen)(msg)

    cfg = MqttConfig(url=broker.url)
    subs = [Subscription(topics.RESULT_FILTER), Subscription(topics.engine_lease("plant1"))]
    watch = MqttConnection(cfg, "watch", subscriptions=subs, on_message=route)
    pub = MqttConnection(cfg, "pub")
    await watch.start(wait_s=5)
    await pub.start(wait_s=5)
    oracle = Engine.from_file(plant)
    active.start()
    standby.start()
    await active.connected()  # subscribed: persistent sessions from now on
    await standby.connected()
    while not leases.changes:  # the active one holds the lease after its grace second
        await asyncio.sleep(0.05)
    base = (now_ms() - STEPS * STEP_MS) // 1000 * 1000
    killed_at = 0.0
    try:
        for step in range(STEPS):
            msgs = poll(step, base + step * STEP_MS, reset_at=60)
            futs = [pub.publish(topics.telemetry("plant1", "a", "l", m.device), encode(m)) for m in msgs]
            await asyncio.wait_for(asyncio.gather(*futs), 10)
            oracle.ingest_many(msgs)
            if step == KILL_AT:
                active.kill()
                killed_at = time.monotonic()
            if step == BACK_AT:
                active.start()
            await asyncio.sleep(PACE_S)
        last = base + (STEPS - 1) * STEP_MS
        until = (last - 2000) // 60_000 * 60_000 - 60_000
        site = topics.result("plant1", topics.ALL, topics.ALL, "carbon-1m")
        deadline = time.monotonic() + 20
        while (site, until - 60_000) not in seen.by_window and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
    finally:
        codes = (active.stop(), standby.stop())
        await pub.stop()
        await watch.stop()
    assert codes == (0, 0), standby.log.read_text()[-3000:]
    holders = [h for _, h in leases.changes]
    # The standby took the lease, kept it when the other came back, and let it go on its clean stop.
    assert holders[:2] == ["engine-a", "engine-b"] and "engine-a" not in holders[2:], holders
    took = next(t for t, h in leases.changes if h == "engine-b") - killed_at
    print(f"standby take-over after {took:.2f} s (lease {LEASE_S} s)")
    assert took < LEASE_S + 1.5
    oracle.advance(last + 2 * 86_400_000)
    topic = {series: t for t, series in oracle.result_series().items()}
    expected = {
        (topic[(r.node, "1m")], r.start): r.values for r in oracle.results(size="1m") if r.start < until
    }
    got = seen.final(until)
    assert len(expected) >= 6 * 17 and got.keys() == expected.keys(), sorted(set(got) ^ set(expected))[:5]
    worst = max(rel_diff(_plain(got[k]), expected[k]) for k in expected)
    wrong = [
        (k, _diff(_plain(got[k]), expected[k]), seen.by_window[k])
        for k in expected
        if rel_diff(_plain(got[k]), expected[k]) > 1e-9
    ]
    assert worst <= 1e-9, (until, wrong[:3])
    differing = [
        k
        for k, pubs in seen.by_window.items()
        if any(rel_diff(p.values, pubs[0].values) > 1e-9 for p in pubs)
    ]
    assert not differing, differing[:5]
    twice = sum(len(p) > 1 for p in seen.by_window.values())
    print(f"standby: windows={len(expected)} max_rel_diff={worst:.3g} published_twice_same_values={twice}")


def _plain(values: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in values.items() if ":" not in k}  # factor:{id}@{version} trace points


def _diff(a: dict[str, float], b: dict[str, float]) -> dict[str, tuple[float, float]]:
    return {
        k: (a.get(k, float("nan")), b.get(k, float("nan")))
        for k in a.keys() | b.keys()
        if a.get(k) != b.get(k)
    }
