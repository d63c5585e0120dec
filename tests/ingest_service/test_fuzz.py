"""Fuzz: messages across the wire schema's full value ranges, through Mosquitto into each store.

Whatever hypothesis sends, ingest stays up and every message is either stored once (read
back with the product's reader, or VictoriaMetrics' export, which has no InfluxQL) or
dead-lettered once. Run with ``-s`` to see the counts per store and cause.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from iiot_core import topics
from iiot_core.codec import decode_telemetry
from iiot_core.model import Telemetry
from iiot_core.store import Selector, open_reader
from tests.iiot_core.store.test_writers import wait_export
from tests.ingest_service import helpers
from tests.ingest_service.helpers import deadletter_watcher, publisher, running, wait_for
from tests.support.samples import now_ms
from tests.support.servers import Influxd, Mosquitto, VictoriaMetrics

SITE, AREA, LINE = "fz", "a", "l"
DAY_MS = 86_400_000
NOW = now_ms()
BEYOND_64 = st.integers(-(2**70), 2**70)
# Within a week: inside ingest's window and VictoriaMetrics' default one-month retention,
# which would drop older samples silently (a deployment matter, not a message one).
RECENT_TS = st.integers(NOW - 7 * DAY_MS, NOW)
# Printable letters and digits of any script plus a few separators; a leading "p" keeps
# clear of reserved words (``seq``); a ``*_q`` name may still come out: dead-lettered.
NAMES = st.text(st.characters(categories=("L", "N"), include_characters="_.:-"), min_size=0, max_size=60).map(
    lambda s: "p" + s
)
ODD_TEXT = st.text(max_size=300)  # any code point but lone surrogates (not UTF-8)


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` nine times in ten: with several odd fields a message, most would be invalid."""
    return st.integers(0, 9).flatmap(lambda k: odd if k == 9 else usual)  # shrinks to usual


QUALITIES = mostly(
    st.sampled_from(["good", "bad", "stale", "estimated"]),
    st.one_of(st.sampled_from(["GOOD", "", "unknown", "good "]), st.integers(), st.none()),
)
VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),  # huge, tiny, subnormal, -0.0
    st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=32),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]),
    BEYOND_64,
)


@st.composite
def point(draw: st.DrawFn, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name, "value": draw(VALUES)}
    doc["ts"] = draw(mostly(RECENT_TS, BEYOND_64))
    if draw(st.booleans()):
        doc["unit"] = draw(ODD_TEXT)
    if draw(st.booleans()):
        doc["quality"] = draw(QUALITIES)
    return doc


@st.composite
def message(draw: st.DrawFn) -> dict[str, Any]:
    """A telemetry document without its device (the test gives each message its own)."""
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    return {
        "schema": 1,
        "site": SITE,
        "area": AREA,
        "line": LINE,
        "seq": draw(mostly(st.integers(0, 2**63 - 1), st.sampled_from([2**63, -(2**63) - 1]) | BEYOND_64)),
        "ts": draw(mostly(RECENT_TS, BEYOND_64)),
        "points": [draw(point(n)) for n in names],
        "historical": draw(st.booleans()),
        "agent": draw(ODD_TEXT),
    }


MESSAGES = st.lists(message(), min_size=20, max_size=60)


@dataclass
class Tally:
    """Counts over every example of one store, printed at the end for the report."""

    generated: int = 0
    stored: int = 0
    deadlettered: Counter[str] = field(default_factory=Counter)

    def line(self, store: str) -> str:
        causes = ", ".join(f"{c}={n}" for c, n in sorted(self.deadlettered.items()))
        return f"fuzz {store}: generated={self.generated} stored={self.stored} deadlettered: {causes}"


Stored = dict[tuple[str, str], tuple[int, float, str, int]]  # (device, field) -> ts, value, quality, count


async def read_back(store_url: str) -> Stored:
    """Every stored point of the fuzz site, with its number of samples, through the reader."""
    reader = open_reader(store_url)
    try:
        sel = Selector(site=SITE)
        latest = await reader.latest(sel)
        counts: Counter[tuple[str, str]] = Counter()
        for h in await reader.history(sel, NOW - 8 * DAY_MS, NOW + DAY_MS, DAY_MS):
            counts[(h.key.device, h.key.field)] += sum(b.count for b in h.buckets)
    finally:
        await reader.close()
    return {
        (v.key.device, v.key.field): (v.ts, v.value, v.quality, counts[(v.key.device, v.key.field)])
        for v in latest
    }


def export_back(vm: VictoriaMetrics) -> Stored:
    """The same from VictoriaMetrics' export: series ``telemetry_<field>``. It takes no
    string fields, so qualities read as good."""
    out: Stored = {}
    for s in wait_export(vm, 1, timeout_s=5):
        labels: dict[str, str] = s["metric"]  # type: ignore[assignment]
        name = labels["__name__"].removeprefix("telemetry_")
        ts: list[int] = s["timestamps"]  # type: ignore[assignment]
        values: list[float] = s["values"]  # type: ignore[assignment]
        if name != "seq" and not name.endswith("_q"):
            out[(labels["device"], name)] = (ts[-1], values[-1], "good", len(ts))
    return out


def same_value(got: float, want: float, exact: bool) -> bool:
    """SQLite and InfluxDB keep the float; VictoriaMetrics keeps 12 significant digits, and
    a value below about 1e-290 (subnormals, or many digits near 1e-300) may come back 0."""
    if exact:
        return got == want  # -0.0 may come back as 0.0
    return math.isclose(got, want, rel_tol=1e-11) or (got == 0 and abs(want) < 1e-290)


def check_outcomes(
    sent: dict[str, bytes], letters: list[paho.MQTTMessage], stored: Stored, exact: bool
) -> Counter[str]:
    """Each message stored once, every point as decoded, or dead-lettered once: the causes."""
    lettered = Counter(json.loads(m.payload)["topic"].split("/")[-2] for m in letters)
    assert all(n == 1 for n in lettered.values()), f"dead-lettered more than once: {lettered}"
    causes = Counter(json.loads(m.payload)["cause"] for m in letters)
    by_device: dict[str, dict[str, tuple[int, float, str, int]]] = {}
    for (device, name), row in stored.items():
        by_device.setdefault(device, {})[name] = row
    for device, payload in sent.items():
        rows = by_device.get(device)
        if device in lettered:
            assert rows is None, f"{device} dead-lettered and stored: {payload[:300]!r}"
            continue
        assert rows is not None, f"{device} neither stored nor dead-lettered: {payload[:300]!r}"
        msg: Telemetry = decode_telemetry(payload)
        assert sorted(rows) == sorted(p.name for p in msg.points), device
        for p in msg.points:
            ts, value, quality, count = rows[p.name]
            assert count == 1 and ts == p.ts, (device, p.name, rows[p.name])
            assert same_value(value, p.value, exact), (device, p.name, value, p.value)
            assert quality in (p.quality.value, "good") and (exact or quality == "good"), (device, p.name)
    return causes


async def one_round(
    broker: Mosquitto, store_url: str, tmp: Path, docs: list[dict[str, Any]], run: int
) -> dict[str, bytes]:
    """Publish ``docs`` (device ``r<run>m<i>``) to a fresh ingest until all are acked; device -> payload."""
    sent = {f"r{run}m{i}": json.dumps({**d, "device": f"r{run}m{i}"}).encode() for i, d in enumerate(docs)}
    cfg = helpers.settings(broker.url, store_url, tmp, client_id=f"fuzz{run}", batch_max_age_s=0.1)
    async with running(cfg) as svc, publisher(broker.url) as pub:
        futs = [pub.publish(topics.telemetry(SITE, AREA, LINE, dev), body) for dev, body in sent.items()]
        await asyncio.wait_for(asyncio.gather(*futs), 10)
        m = svc.metrics
        await wait_for(
            lambda: m.messages_in == len(sent) and m.queue_messages == 0, what="all written or acked"
        )
        assert m.write_retries == 0  # a poison taken for an outage would retry
    return sent


class Rounds:
    """Runs hypothesis examples against one store and keeps the tally."""

    def __init__(self, broker: Mosquitto, store_url: str, tmp: Path) -> None:
        self.broker, self.store_url, self.tmp = broker, store_url, tmp
        self.tally = Tally()
        self.run = 0

    async def round(self, docs: list[dict[str, Any]], vm: VictoriaMetrics | None) -> None:
        self.run += 1
        letters: list[paho.MQTTMessage] = []
        watcher = deadletter_watcher(self.broker.url, letters)
        await watcher.start(wait_s=5)
        try:
            sent = await one_round(self.broker, self.store_url, self.tmp, docs, self.run)
            await asyncio.sleep(0.2)  # a dead letter sent twice would be here by now
        finally:
            await watcher.stop()
        if vm is None:
            stored = await read_back(self.store_url)
        else:
            stored = await asyncio.to_thread(export_back, vm)
        mine = {k: v for k, v in stored.items() if k[0].startswith(f"r{self.run}m")}
        causes = check_outcomes(sent, letters, mine, exact=vm is None)
        self.tally.generated += len(sent)
        self.tally.stored += len(sent) - sum(causes.values())
        self.tally.deadlettered.update(causes)


FUZZ = settings(
    max_examples=6,
    deadline=None,
    # No shrinking: each example is a whole ingest run (about 2 s), and the assertion
    # already names the message at fault with its payload.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, VictoriaMetrics | None]]:
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/zcf.db", None
    elif kind == "influxdb-v1":
        influx: Influxd = request.getfixturevalue("influx")
        yield influx.store_url(), None
    else:
        vm: VictoriaMetrics = request.getfixturevalue("victoria")
        yield vm.store_url(), vm


@pytest.mark.timeout(90)
@pytest.mark.parametrize("store", ["sqlite", "influxdb-v1", "victoria-metrics"], indirect=True)
def test_no_message_stops_ingest(
    broker: Mosquitto, store: tuple[str, VictoriaMetrics | None], tmp_path: Path
) -> None:
    url, vm = store
    rounds = Rounds(broker, url, tmp_path)

    @FUZZ
    @given(MESSAGES)
    def each(docs: list[dict[str, Any]]) -> None:
        asyncio.run(rounds.round(docs, vm))

    each()
    print(rounds.tally.line(url.split(":", 1)[0] if vm is None else "victoria-metrics"))
    assert rounds.tally.generated >= 20
