"""``zcf report``: formats, outputs, the store default, refusals naming what is wrong, --verify."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import pytest

from carbon_engine.accounts.render.canonical import verify
from carbon_engine.accounts.report_cli import main, store_url
from tests.carbon_engine.accounts.plant_run import EXAMPLE
from tests.carbon_engine.accounts.report_store import PlayedStore, played_store
from tests.carbon_engine.helpers import ms

START_S = ms("2026-11-18T02:00:05Z") // 1000
AS_OF = "2026-11-18T13:00:00+08:00"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PlayedStore:
    return asyncio.run(played_store(tmp_path_factory.mktemp("store"), START_S, 3600))


def _run(*args: str) -> int:
    return main(["--plant", str(EXAMPLE), "--period", "2026-11", "--as-of", AS_OF, *args])


@pytest.mark.timeout(120)
def test_json_csv_and_html(store: PlayedStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    assert _run("--store", store.url, "--out", str(out)) == 0
    report = json.loads(out.read_text())
    assert verify(report) and report["report"]["as_of"] == AS_OF
    summary = capsys.readouterr().err
    assert "report plant1-2026-11" in summary and report["digest"]["value"] in summary
    assert _run("--store", store.url, "--format", "csv", "--out", str(tmp_path / "tables")) == 0
    assert {p.name for p in (tmp_path / "tables").iterdir()} >= {"energy.csv", "nodes.csv", "report.json"}
    assert _run("--store", store.url, "--format", "csv", "--out", str(tmp_path / "t.zip")) == 0
    assert "plant1-2026-11/emissions.csv" in zipfile.ZipFile(tmp_path / "t.zip").namelist()
    assert (
        _run("--store", store.url, "--format", "html", "--lang", "zh", "--out", str(tmp_path / "r.html")) == 0
    )
    page = (tmp_path / "r.html").read_text()
    assert "碳排放与能源信息披露报告" in page
    assert main(["--verify", str(out)]) == 0
    assert "digest ok" in capsys.readouterr().out


def test_verify_finds_a_changed_figure(
    tmp_path: Path, store: PlayedStore, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    assert _run("--store", store.url, "--out", str(out)) == 0
    report = json.loads(out.read_text())
    report["energy"]["total_kwh"] += 1
    out.write_text(json.dumps(report))
    assert main(["--verify", str(out)]) == 1
    assert "digest MISMATCH" in capsys.readouterr().err


def test_refusals_name_the_file_key_or_option(
    tmp_path: Path, store: PlayedStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--plant", str(EXAMPLE), "--period", "2026-13", "--store", store.url]) == 2
    assert "2026-13" in capsys.readouterr().err
    assert main(["--plant", str(tmp_path / "nope.toml"), "--period", "2026-11"]) == 2
    assert "nope.toml" in capsys.readouterr().err
    assert main(["--plant", str(EXAMPLE), "--period", "2026-11", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--store" in err and str(tmp_path / "zcf.db") in err
    assert _run("--store", store.url, "--as-of", "yesterday") == 2
    assert "--as-of" in capsys.readouterr().err


def test_the_store_defaults_as_the_engine_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZCF_STORE_URL", raising=False)
    assert store_url(None, tmp_path) == f"sqlite:///{(tmp_path / 'zcf.db').resolve()}"
    monkeypatch.setenv("ZCF_STORE_URL", "influxdb-v1://127.0.0.1:9/zcf")
    assert store_url(None, tmp_path) == "influxdb-v1://127.0.0.1:9/zcf"
    assert store_url("sqlite:///x.db", tmp_path) == "sqlite:///x.db"
