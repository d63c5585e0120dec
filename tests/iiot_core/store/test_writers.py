"""Writer specifics: the v2 API into VictoriaMetrics, and clear errors at start-up."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from iiot_core.errors import StoreError
from iiot_core.model import Quality
from iiot_core.store import Selector, StoreRejected, open_reader, open_writer
from iiot_core.store.influx_v1 import raise_for_write
from tests.support.samples import make_msg, now_ms
from tests.support.servers import Influxd, VictoriaMetrics, free_port


@contextlib.contextmanager
def influxd_max_body(workdir: Path, max_bytes: int) -> Iterator[Influxd]:
    """InfluxDB 1.x with database ``zcf`` answering HTTP 413 to write bodies over ``max_bytes``."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = Influxd(workdir, free_port(), rpc_port=free_port())
    with pytest.MonkeyPatch.context() as env:  # influxd reads [http] max-body-size from here
        env.setenv("INFLUXDB_HTTP_MAX_BODY_SIZE", str(max_bytes))
        server.start()
    try:
        server.query("CREATE DATABASE zcf")
        yield server
    finally:
        server.stop()


def wait_export(
    vm: VictoriaMetrics, expected: int, timeout_s: float = 10, match: str = '{__name__=~".+"}'
) -> list[dict[str, object]]:
    """Export ``match`` until ``expected`` samples are visible (VictoriaMetrics indexes within ~1 s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        series = vm.export(match)
        if sum(len(s["values"]) for s in series) >= expected or time.monotonic() > deadline:  # type: ignore[arg-type]
            return series
        time.sleep(0.3)


async def test_v2_writer_into_victoria_metrics(victoria: VictoriaMetrics) -> None:
    writer = open_writer(victoria.store_url())
    await writer.check()
    t0 = now_ms() - 60_000
    batch = [("telemetry", make_msg("m1", i, t0 + i * 1000, {"p_kw": float(i)})) for i in range(5)]
    batch.append(("carbon", make_msg("m1", 9, t0, {"co2_kg": 2.5}, quality={"co2_kg": Quality.ESTIMATED})))
    assert await writer.write(batch) == 6
    await writer.write(batch[:2])  # replay: must overwrite
    await writer.close()
    series = wait_export(victoria, 5 + 5 + 1 + 1 + 1)
    by_name = {(s["metric"]["__name__"], s["metric"]["device"]): s for s in series}  # type: ignore[index]
    p = by_name[("telemetry_p_kw", "m1")]
    assert p["values"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert p["timestamps"] == [t0 + i * 1000 for i in range(5)]
    assert p["metric"] == {
        "__name__": "telemetry_p_kw",
        "site": "s1",
        "area": "a1",
        "line": "l1",
        "device": "m1",
    }
    assert by_name[("telemetry_seq", "m1")]["values"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert by_name[("carbon_co2_kg", "m1")]["values"] == [2.5]
    assert ("carbon_co2_kg_q", "m1") in by_name  # VictoriaMetrics keeps string fields as 0


async def test_unreachable_stores_are_reported_clearly() -> None:
    port = free_port()
    for url in (f"influxdb-v1://127.0.0.1:{port}/zcf", f"influxdb-v2://t@127.0.0.1:{port}/o/b"):
        writer = open_writer(url)
        with pytest.raises(StoreError, match=f"unreachable.*127.0.0.1:{port}"):
            await writer.check()
        await writer.close()
    reader = open_reader(f"influxdb-v1://127.0.0.1:{port}/zcf")
    with pytest.raises(StoreError, match="cannot query"):
        await reader.check()
    await reader.close()


async def test_missing_database_is_named(influx: Influxd) -> None:
    writer = open_writer(influx.store_url("nope"))
    with pytest.raises(StoreError, match="database 'nope' does not exist"):
        await writer.check()
    await writer.close()


async def test_missing_retention_policy_is_named_with_the_existing_ones(influx: Influxd) -> None:
    """A wrong ``?rp=`` used to pass the check and then fail every write, retried forever."""
    influx.query('CREATE RETENTION POLICY "week" ON "zcf" DURATION 7d REPLICATION 1')
    writer = open_writer(influx.store_url() + "?rp=wek")
    with pytest.raises(StoreError) as info:
        await writer.check()
    await writer.close()
    msg = str(info.value)
    assert "retention policy 'wek' does not exist in database 'zcf'" in msg
    assert "existing: autogen, week" in msg
    writer = open_writer(influx.store_url() + "?rp=week")
    await writer.check()
    assert await writer.write([("telemetry", make_msg("m1", 1))]) == 2
    await writer.close()
    res = influx.query('SELECT count("p_kw") FROM "week"."telemetry"')
    assert res["results"][0]["series"][0]["values"][0][1] == 1  # type: ignore[index]


async def test_type_conflict_is_a_rejection_not_an_outage(influx: Influxd) -> None:
    influx.query("CREATE DATABASE zcf")
    body = f'telemetry,area=a1,device=m1,line=l1,site=s1 p_kw="text" {now_ms()}\n'
    influx_write(influx, body.encode())
    writer = open_writer(influx.store_url())
    with pytest.raises(StoreRejected, match="type conflict"):
        await writer.write([("telemetry", make_msg("m1", 1))])
    await writer.close()


async def test_too_large_a_body_is_a_rejection_not_an_outage(tmp_path: Path) -> None:
    batch = [("telemetry", make_msg("m1", i, now_ms() - i)) for i in range(1, 41)]
    with influxd_max_body(tmp_path, 1000) as influx:
        writer = open_writer(influx.store_url())
        with pytest.raises(StoreRejected, match="HTTP 413"):
            await writer.write(batch)
        assert await writer.write(batch[:2]) == 4  # a smaller part goes through (2 points each)
        await writer.close()


@pytest.mark.parametrize("status", [400, 413, 422, 401, 403, 404, 408, 429, 500, 503])
def test_write_answers_that_refuse_the_data(status: int) -> None:
    """422 (InfluxDB 2.x rejecting points) has no local server to answer it: the mapping itself."""
    with pytest.raises(StoreError) as info:
        raise_for_write(status, b'{"error":"x"}', "store")
    assert isinstance(info.value, StoreRejected) is (status in (400, 413, 422))
    raise_for_write(204, b"", "store")


async def test_v1_outage_is_a_store_error(influx: Influxd) -> None:
    writer = open_writer(influx.store_url())
    await writer.write([("telemetry", make_msg("m1", 1))])
    influx.stop()
    with pytest.raises(StoreError) as info:
        await writer.write([("telemetry", make_msg("m1", 2))])
    assert not isinstance(info.value, StoreRejected)
    influx.start()
    await writer.write([("telemetry", make_msg("m1", 3))])
    await writer.close()
    rows = influx.query("SELECT seq FROM telemetry")["results"][0]["series"][0]["values"]  # type: ignore[index]
    assert [r[1] for r in rows] == [1, 3]


async def test_sqlite_bad_path_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    writer = open_writer(f"sqlite:///{blocker}/sub/zcf.db")
    with pytest.raises(StoreError, match="sqlite"):
        await writer.check()
    await writer.close()
    reader = open_reader(f"sqlite:///{tmp_path}/missing.db")
    with pytest.raises(StoreError):
        await reader.check()
    await reader.close()


async def test_sqlite_refuses_an_int_beyond_64_bits_and_keeps_writing(tmp_path: Path) -> None:
    """A value SQLite cannot bind fails again on every retry: a refusal, not an outage."""
    writer = open_writer(f"sqlite:///{tmp_path}/zcf.db")
    await writer.check()
    t0 = now_ms()
    with pytest.raises(StoreRejected, match="OverflowError"):
        await writer.write([("telemetry", make_msg("m1", 2**63, t0))])
    assert await writer.write([("telemetry", make_msg("m1", 2**63 - 1, t0))]) == 2
    await writer.close()
    reader = open_reader(f"sqlite:///{tmp_path}/zcf.db")
    assert {v.key.field for v in await reader.latest(Selector(device="m1"))} == {"p_kw", "e_kwh"}
    await reader.close()


def influx_write(influx: Influxd, body: bytes) -> None:
    import urllib.request

    req = urllib.request.Request(f"{influx.url}/write?db=zcf&precision=ms", data=body, method="POST")
    urllib.request.urlopen(req, timeout=5).read()
