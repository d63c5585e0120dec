"""Every point name the rule accepts, with any finite value, reads back as written from each store.

SQLite and InfluxDB 1.6 are read through the product's readers; VictoriaMetrics (the v2
writer's stand-in) has no InfluxQL, so it is read through its export API. VictoriaMetrics keeps
about 12 significant digits and reads magnitudes below ~1e-290 as 0 (its decimal encoding), so
there values are compared to that precision; names must match exactly everywhere.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from iiot_core.model import Quality, Telemetry
from iiot_core.store import MEASUREMENT_TELEMETRY, Selector, StoreRejected, open_reader, open_writer
from iiot_core.store.base import TAGS, Record
from iiot_core.store.lineproto import MAX_NAME_CHARS, point_name_problem
from tests.iiot_core.store.test_writers import wait_export
from tests.support.samples import make_msg, now_ms
from tests.support.servers import Influxd, VictoriaMetrics

# Characters line protocol and InfluxQL treat specially, mixed into broad unicode (as chunks:
# a text strategy would merge both alphabets and draw the few special characters rarely).
_SPECIAL = st.sampled_from([*" ,='\"\\#;:@{}()[]*/-._$", "温", "é", "😀", "\\b", "\\é"])
_UNICODE = st.text(st.characters(categories=("L", "M", "N", "P", "S")), min_size=1, max_size=3)
LEGAL_NAMES = (
    st.lists(st.one_of(_SPECIAL, _UNICODE), min_size=1, max_size=15)
    .map("".join)
    .filter(lambda n: point_name_problem(n) is None)
)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
SAMPLES = st.dictionaries(LEGAL_NAMES, st.tuples(FINITE, st.sampled_from(Quality)), min_size=1, max_size=20)
# Names next to the reserved ones and the escapes, which random text seldom hits.
_EDGE_CASES = {
    "Time": (1.0, Quality.GOOD),
    "SITE": (2.0, Quality.BAD),
    "value": (3.0, Quality.GOOD),
    "a\\b": (4.5, Quality.STALE),
    "a,b=c d": (-5.0, Quality.GOOD),
    "é\\ü 温度 (°C)": (5e-324, Quality.GOOD),
    "q" * MAX_NAME_CHARS: (1.7976931348623157e308, Quality.ESTIMATED),
}
_devices = (f"rt{i}" for i in itertools.count())
Samples = dict[str, tuple[float, Quality]]
Check = Callable[[Samples], None]


def message(samples: Samples) -> Telemetry:
    """One message of a fresh device, so each example is its own set of series."""
    values = {n: v for n, (v, _) in samples.items()}
    quality = {n: q for n, (_, q) in samples.items()}
    return make_msg(next(_devices), 7, now_ms() - 60_000, values, quality=quality)


def run_examples(check: Check, max_examples: int, *, shrink: bool = True) -> None:
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])

    @settings(max_examples=max_examples, deadline=None, phases=phases)
    @given(SAMPLES)
    @example(_EDGE_CASES)
    def prop(samples: Samples) -> None:
        check(samples)

    prop()


@contextmanager
def reader_check(url: str) -> Iterator[Check]:
    """Write each example with the product's writer, read it back with its reader."""
    loop = asyncio.new_event_loop()
    writer, reader = open_writer(url), open_reader(url)

    def check(samples: Samples) -> None:
        msg = message(samples)
        assert loop.run_until_complete(writer.write([(MEASUREMENT_TELEMETRY, msg)])) == len(samples)
        sel = Selector(device=msg.device, fields=tuple(samples))
        got = loop.run_until_complete(reader.latest(sel))
        assert {v.key.field: (v.value, v.quality) for v in got} == samples
        assert {(v.key.site, v.key.area, v.key.line, v.key.device, v.ts) for v in got} == {
            (msg.site, msg.area, msg.line, msg.device, msg.ts)
        }
        assert set(samples) <= set(loop.run_until_complete(reader.fields()))

    try:
        yield check
    finally:
        loop.run_until_complete(writer.close())
        loop.run_until_complete(reader.close())
        loop.close()


def test_sqlite_round_trips_every_legal_name(tmp_path: Path) -> None:
    with reader_check(f"sqlite:///{tmp_path}/zcf.db") as check:
        run_examples(check, max_examples=100)


def test_influxdb_v1_round_trips_every_legal_name(influx: Influxd) -> None:
    with reader_check(influx.store_url()) as check:
        run_examples(check, max_examples=100)


def _vm_value_equal(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=1e-11) or (abs(want) < 1e-290 and got == 0)


def test_victoria_metrics_round_trips_every_legal_name(victoria: VictoriaMetrics) -> None:
    loop = asyncio.new_event_loop()
    writer = open_writer(victoria.store_url())

    def check(samples: Samples) -> None:
        msg = message(samples)
        loop.run_until_complete(writer.write([(MEASUREMENT_TELEMETRY, msg)]))
        # Series: one per point, one per quality that is not good (a string: VM stores 0), seq.
        names = set(samples) | {f"{n}_q" for n, (_, q) in samples.items() if q is not Quality.GOOD}
        expected = {f"{MEASUREMENT_TELEMETRY}_{n}" for n in names | {"seq"}}
        series = wait_export(victoria, len(expected), 3, match=f'{{device="{msg.device}"}}')
        got = {s["metric"]["__name__"]: s["values"][0] for s in series}  # type: ignore[index]
        assert set(got) == expected
        for name, (value, _) in samples.items():
            stored = float(got[f"{MEASUREMENT_TELEMETRY}_{name}"])  # type: ignore[arg-type]
            assert _vm_value_equal(stored, value), (name, value, stored)

    try:  # a lost series costs the whole wait: shrinking would take minutes
        run_examples(check, max_examples=25, shrink=False)
    finally:
        loop.run_until_complete(writer.close())
        loop.close()


# Refused for what a store does with them: each is misread by a real store when written anyway.
MISREAD = ["time", *TAGS, "a\\", "a\\\\b", "a\\,b", "a\\=b", "a\\ b", 'a\\"b', 'a"b']


def _records(names: list[str]) -> dict[str, Record]:
    """One measurement per name: a field named like a tag spoils the tag for its whole measurement."""
    t = now_ms() - 60_000
    return {n: (f"mis{i}", make_msg("m1", 1, t, {n: 1.5, "ok": 2.5})) for i, n in enumerate(names)}


async def _faithful_in_influx(influx: Influxd, records: dict[str, Record]) -> set[str]:
    writer, reader = open_writer(influx.store_url()), open_reader(influx.store_url())
    kept = set()
    for name, (measurement, msg) in records.items():
        try:
            await writer.write([(measurement, msg)])
        except StoreRejected:
            continue
        sel = Selector(measurement, msg.site, msg.area, msg.line, msg.device, fields=(name, "ok"))
        if {v.key.field: v.value for v in await reader.latest(sel)} == {name: 1.5, "ok": 2.5}:
            kept.add(name)
    await writer.close()
    await reader.close()
    return kept


async def _faithful_in_victoria(vm: VictoriaMetrics, records: dict[str, Record]) -> set[str]:
    writer = open_writer(vm.store_url())
    await writer.write(list(records.values()))
    await writer.close()
    got = {s["metric"]["__name__"]: s["values"][0] for s in wait_export(vm, 3 * len(records), 3)}  # type: ignore[index]
    kept = set()
    for name, (measurement, _msg) in records.items():
        mine = {k: v for k, v in got.items() if str(k).startswith(f"{measurement}_")}
        if mine == {f"{measurement}_{name}": 1.5, f"{measurement}_ok": 2.5, f"{measurement}_seq": 1}:
            kept.add(name)
    return kept


async def test_every_refused_store_name_is_misread_by_a_real_store(
    influx: Influxd, victoria: VictoriaMetrics
) -> None:
    """The rule is not wider than it must be: InfluxDB 1.6 or VictoriaMetrics corrupts each."""
    assert all(point_name_problem(n) is not None for n in MISREAD)
    records = _records([*MISREAD, "plain"])  # "plain": the check can see a faithful store
    v1, vm = await _faithful_in_influx(influx, records), await _faithful_in_victoria(victoria, records)
    assert v1 & vm == {"plain"}, (sorted(v1), sorted(vm))
