"""Writer + reader contract, the same test body against SQLite and a real InfluxDB 1.6."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from iiot_core.model import Quality
from iiot_core.store import Selector, StoreReader, StoreWriter, open_reader, open_writer
from iiot_core.store.base import QUALITY_CODES, RawPage
from tests.support.samples import make_msg, now_ms
from tests.support.servers import Influxd

T0 = (now_ms() // 60_000) * 60_000 - 600_000  # a whole minute, ten minutes ago


@pytest.fixture(params=["sqlite", "influxdb-v1"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[StoreWriter, StoreReader]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/zcf.db"
    else:
        url = request.getfixturevalue("influx").store_url()
    writer = open_writer(url)
    await writer.check()
    reader = open_reader(url)
    yield writer, reader
    await writer.close()
    await reader.close()


async def test_latest_and_history(store: tuple[StoreWriter, StoreReader]) -> None:
    writer, reader = store
    batch = [
        ("telemetry", make_msg("m1", i, T0 + i * 10_000, {"p_kw": float(i), "v": 230.0 + i}))
        for i in range(12)
    ]
    batch.append(("telemetry", make_msg("m2", 1, T0, {"p_kw": 5.0}, quality={"p_kw": Quality.BAD})))
    batch.append(("carbon", make_msg("_all", 1, T0, {"co2_kg": 1.25}, line="_all")))
    assert await writer.write(batch) == 24 + 1 + 1
    await reader.check()
    assert await reader.fields() == ["p_kw", "v"]
    assert await reader.fields("carbon") == ["co2_kg"]

    latest = await reader.latest(Selector(site="s1"))
    got = {(lv.key.device, lv.key.field): (lv.ts, lv.value, lv.quality) for lv in latest}
    assert got == {
        ("m1", "p_kw"): (T0 + 110_000, 11.0, "good"),
        ("m1", "v"): (T0 + 110_000, 241.0, "good"),
        ("m2", "p_kw"): (T0, 5.0, "bad"),
    }
    only = await reader.latest(Selector(device="m1", fields=("v",)))
    assert [(lv.key.field, lv.value) for lv in only] == [("v", 241.0)]
    assert await reader.latest(Selector(device="m1"), since_ms=T0 + 200_000) == []

    hist = await reader.history(Selector(device="m1", fields=("p_kw",)), T0, T0 + 120_000, 60_000)
    assert len(hist) == 1
    assert hist[0].key.field == "p_kw" and hist[0].key.line == "l1"
    b0, b1 = hist[0].buckets
    assert (b0.ts, b0.mean, b0.min, b0.max, b0.last, b0.count) == (T0, 2.5, 0.0, 5.0, 5.0, 6)
    assert (b1.ts, b1.mean, b1.min, b1.max, b1.last, b1.count) == (T0 + 60_000, 8.5, 6.0, 11.0, 11.0, 6)

    # Aligned to the start of the range (30 s past the minute), not to the epoch.
    start = T0 + 30_000
    (aligned,) = await reader.history(
        Selector(device="m1", fields=("p_kw",)), start, T0 + 180_000, 60_000, start
    )
    assert [(b.ts, b.mean, b.min, b.max, b.last, b.count) for b in aligned.buckets] == [
        (start, 5.5, 3.0, 8.0, 8.0, 6),  # samples 3..8 at T0 + 30 s .. T0 + 80 s
        (start + 60_000, 10.0, 9.0, 11.0, 11.0, 3),  # samples 9..11
    ]
    # An origin before the range: the first bucket starts before it, only samples in range count.
    (early,) = await reader.history(Selector(device="m1", fields=("p_kw",)), T0, T0 + 60_000, 60_000, start)
    assert [(b.ts, b.mean, b.count) for b in early.buckets] == [(T0 - 30_000, 1.0, 3), (T0 + 30_000, 4.0, 3)]


async def test_replay_overwrites_instead_of_duplicating(
    store: tuple[StoreWriter, StoreReader],
) -> None:
    writer, reader = store
    batch = [("telemetry", make_msg("m1", i, T0 + i * 1000)) for i in range(5)]
    await writer.write(batch)
    await writer.write(batch[2:])  # a redelivery after a crash
    hist = await reader.history(Selector(fields=("p_kw",)), T0, T0 + 60_000, 60_000)
    assert [b.count for b in hist[0].buckets] == [5]


async def test_the_later_of_two_samples_with_one_key_in_a_batch_wins(
    store: tuple[StoreWriter, StoreReader],
) -> None:
    """Within one batch (a redelivered message next to a corrected one), arrival order decides,
    however the writer orders its rows."""
    writer, reader = store
    batch = [
        ("telemetry", make_msg("m2", 1, T0 + 1000, {"p_kw": 7.0})),
        ("telemetry", make_msg("m1", 1, T0 + 1000, {"p_kw": 5.0})),
        ("telemetry", make_msg("m2", 2, T0, {"p_kw": 8.0})),
        ("telemetry", make_msg("m1", 2, T0 + 1000, {"p_kw": 2.0})),  # same key as m1's first
        ("telemetry", make_msg("m1", 3, T0, {"p_kw": 3.0})),
    ]
    await writer.write(batch)
    latest = {v.key.device: (v.ts, v.value) for v in await reader.latest(Selector(fields=("p_kw",)))}
    assert latest == {"m1": (T0 + 1000, 2.0), "m2": (T0 + 1000, 7.0)}
    hist = await reader.history(Selector(device="m1", fields=("p_kw",)), T0, T0 + 60_000, 60_000)
    assert [(b.count, b.min, b.max) for b in hist[0].buckets] == [(2, 2.0, 3.0)]


async def test_unknown_selection_is_empty(store: tuple[StoreWriter, StoreReader]) -> None:
    writer, reader = store
    await writer.write([("telemetry", make_msg("m1", 1, T0))])
    assert await reader.latest(Selector(site="nowhere")) == []
    assert await reader.history(Selector(site="nowhere"), T0, T0 + 1000, 1000) == []
    assert await reader.latest(Selector(fields=())) == []


def test_influx_fixture_is_real(influx: Influxd) -> None:
    assert influx.query("SHOW DATABASES")["results"]


async def _raw(reader: StoreReader, sel: Selector, start: int, end: int, page_ms: int) -> list[RawPage]:
    return [page async for page in reader.raw(sel, start, end, page_ms)]


async def test_raw_samples_in_time_order_page_by_page(store: tuple[StoreWriter, StoreReader]) -> None:
    writer, reader = store
    batch = [("telemetry", make_msg("m1", i, T0 + i * 1000, {"e": 10.0 + i, "v": 230.0})) for i in range(10)]
    bad = {"e": Quality.BAD}
    batch += [
        (
            "telemetry",
            make_msg("m2", i, T0 + 500 + i * 2000, {"e": 100.0 + i}, quality=bad if i == 2 else None),
        )
        for i in range(5)
    ]
    batch.append(("carbon", make_msg("_all", 1, T0, {"e": -1.0}, line="_all")))  # another measurement
    await writer.write(batch)
    sel = Selector(site="s1", fields=("e",))
    pages = await _raw(reader, sel, T0 + 1000, T0 + 9000, 3000)  # [start, end): 8 s in 3 pages
    assert [(p.start_ms, p.end_ms) for p in pages] == [
        (T0 + 1000, T0 + 4000),
        (T0 + 4000, T0 + 7000),
        (T0 + 7000, T0 + 9000),
    ]
    got = [
        (p.keys[s].device, p.keys[s].field, t, v, QUALITY_CODES[q])
        for p in pages
        for s, t, v, q in zip(p.series, p.ts, p.value, p.quality, strict=True)
    ]
    assert [g[2] for g in got] == sorted(g[2] for g in got)  # time order across series and pages
    assert all(p.start_ms <= t < p.end_ms for p in pages for t in p.ts)
    expected = [("m1", "e", T0 + i * 1000, 10.0 + i, "good") for i in range(1, 9)]
    expected += [
        ("m2", "e", T0 + 500 + i * 2000, 100.0 + i, "bad" if i == 2 else "good") for i in range(1, 5)
    ]
    assert sorted(got, key=lambda g: (g[2], g[0])) == sorted(expected, key=lambda g: (g[2], g[0]))
    assert {k.measurement for p in pages for k in p.keys} == {"telemetry"}
    every = await _raw(reader, Selector(device="m1"), T0, T0 + 60_000, 60_000)
    assert sorted(k.field for k in every[0].keys) == ["e", "v"] and len(every[0]) == 20
    nowhere = await _raw(reader, Selector(site="nowhere"), T0, T0 + 60_000, 60_000)
    assert sum(len(p) for p in nowhere) == 0


async def test_raw_page_beyond_the_servers_row_limit(store: tuple[StoreWriter, StoreReader]) -> None:
    """InfluxDB 1.x answers at most 10,000 rows to a plain query: a raw page asks for chunks."""
    writer, reader = store
    n = 12_345
    await writer.write([("telemetry", make_msg("m1", i, T0 + i * 10, {"e": float(i)})) for i in range(n)])
    pages = await _raw(reader, Selector(fields=("e",)), T0, T0 + n * 10, n * 10)
    assert len(pages) == 1 and list(pages[0].value) == [float(i) for i in range(n)]
