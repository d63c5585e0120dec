"""End to end into the InfluxDB stores, a shared subscription, and start-up errors of the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iiot_core.errors import StoreError
from iiot_core.model import Quality
from ingest_service.cli import main
from tests.iiot_core.store.test_writers import wait_export
from tests.ingest_service.helpers import publish_msgs, publisher, running, settings, stream, wait_for
from tests.ingest_service.test_delivery import influx_seqs
from tests.support.samples import make_msg, now_ms
from tests.support.servers import Influxd, Mosquitto, VictoriaMetrics, free_port

REPO = Path(__file__).resolve().parents[2]


async def test_ingest_into_victoria_metrics_exactly(
    broker: Mosquitto, victoria: VictoriaMetrics, tmp_path: Path
) -> None:
    cfg = settings(broker.url, victoria.store_url(), tmp_path)
    t0 = now_ms() // 1000 * 1000 - 60_000
    msgs = [make_msg("m1", i, t0 + i * 1000, {"p_kw": i * 1.5}) for i in range(1, 21)]
    msgs.append(make_msg("m2", 1, t0, {"v": 231.0}, quality={"v": Quality.STALE}))
    async with running(cfg) as svc, publisher(broker.url) as pub:
        await publish_msgs(pub, msgs)
        await publish_msgs(pub, msgs[:5])  # duplicates from an edge replay overwrite
        await wait_for(lambda: svc.metrics.messages_stored == len(msgs) + 5, what="stored")
    series = await asyncio.to_thread(wait_export, victoria, 20 + 20 + 1 + 1 + 1)
    got = {(s["metric"]["__name__"], s["metric"]["device"]): s for s in series}  # type: ignore[index]
    assert sorted(got) == [
        ("telemetry_p_kw", "m1"),
        ("telemetry_seq", "m1"),
        ("telemetry_seq", "m2"),
        ("telemetry_v", "m2"),
        ("telemetry_v_q", "m2"),
    ]
    p = got[("telemetry_p_kw", "m1")]
    assert p["timestamps"] == [t0 + i * 1000 for i in range(1, 21)]
    assert p["values"] == [i * 1.5 for i in range(1, 21)]
    assert got[("telemetry_seq", "m1")]["values"] == list(range(1, 21))
    assert got[("telemetry_v", "m2")]["values"] == [231.0]


async def test_shared_subscription_splits_the_stream(
    broker: Mosquitto, influx: Influxd, tmp_path: Path
) -> None:
    one = settings(broker.url, influx.store_url(), tmp_path, share="ingest", client_id="i1")
    two = settings(broker.url, influx.store_url(), tmp_path, share="ingest", client_id="i2")
    msgs = stream(devices=4, count=50)
    async with running(one) as a, running(two) as b, publisher(broker.url) as pub:
        await publish_msgs(pub, msgs)
        done = lambda: a.metrics.messages_stored + b.metrics.messages_stored == len(msgs)  # noqa: E731
        await wait_for(done, what="both halves stored")
        assert a.metrics.messages_in > 0 and b.metrics.messages_in > 0
    assert influx_seqs(influx) == {f"m{d}": list(range(1, 51)) for d in range(4)}


def test_cli_reports_a_bad_store_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", "influxdb-v9://h/db", "--http-port", "-1"]) == 2
    assert "unknown scheme 'influxdb-v9'" in capsys.readouterr().err


def test_cli_reports_an_unreachable_store(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    assert main(["--store", f"influxdb-v1://127.0.0.1:{port}/zcf", "--http-port", "-1"]) == 2
    err = capsys.readouterr().err
    assert f"InfluxDB at influxdb-v1://127.0.0.1:{port}/zcf is unreachable" in err


def test_cli_refuses_a_bad_share_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--share", "a/b", "--http-port", "-1"]) == 2
    assert "share group" in capsys.readouterr().err


def test_cli_names_the_option_or_variable_at_fault(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["--batch-points", "0", "--http-port", "-1"]) == 2
    assert "zcf ingest: --batch-points: Input should be greater than or equal to 1 (got 0)" in (
        capsys.readouterr().err
    )
    monkeypatch.setenv("ZCF_MQTT_PROTOCOL", "3")
    assert main(["--http-port", "-1"]) == 2
    assert capsys.readouterr().err.strip() == "ZCF_MQTT_PROTOCOL: Input should be 5 or 4 (got 3)"


def test_zcf_ingest_help_runs_through_the_console_router() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "zcf.cli", "ingest", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    ).stdout
    assert "--store URL" in out and "--share GROUP" in out


async def test_default_store_is_sqlite_under_the_data_dir(broker: Mosquitto, tmp_path: Path) -> None:
    cfg = settings(broker.url, "", tmp_path / "data")  # no store configured
    async with running(cfg) as svc, publisher(broker.url) as pub:
        await publish_msgs(pub, stream(devices=1, count=3))
        await wait_for(lambda: svc.metrics.messages_stored == 3, what="stored")
    assert (tmp_path / "data" / "zcf.db").exists()
    assert time.time() - svc.metrics.last_write_unix < 30


async def test_run_raises_store_error_before_touching_mqtt(tmp_path: Path) -> None:
    from ingest_service.service import IngestService

    cfg = settings("mqtt://127.0.0.1:1", f"influxdb-v1://127.0.0.1:{free_port()}/zcf", tmp_path)
    with pytest.raises(StoreError, match="unreachable"):
        await IngestService(cfg).run()
