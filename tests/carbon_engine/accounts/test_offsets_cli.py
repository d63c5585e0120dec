"""``zcf offsets --plant FILE add|list``: the ledger of the plant file, all-or-none adds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.engine_setup import PLANT_FILE
from zcf.cli import main


def _offset(serial: str, tco2e: float = 1.5, period: str = "2026-11") -> dict[str, Any]:
    return {
        "serial": serial,
        "registry": "CCER registry",
        "kind": "ccer",
        "vintage": 2025,
        "tco2e": tco2e,
        "retired_on": "2026-11-05",
        "period": period,
        "evidence": "certificate",
    }


@pytest.fixture
def plant(tmp_path: Path) -> Path:
    path = tmp_path / "plant.toml"
    text = PLANT_FILE.read_text(encoding="utf-8")
    path.write_text(text + '\n[accounts.offsets]\nfile = "ledger/offsets.jsonl"\n', encoding="utf-8")
    return path


def _write(folder: Path, data: object) -> Path:
    path = folder / "in.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_add_then_list(plant: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = [_offset("A-1"), _offset("A-2", 2.5, "2026-12")]
    assert main(["offsets", "--plant", str(plant), "add", str(_write(tmp_path, data)), "--by", "me"]) == 0
    assert (tmp_path / "ledger" / "offsets.jsonl").read_text().count("\n") == 2
    capsys.readouterr()
    assert main(["offsets", "--plant", str(plant), "list", "--period", "2026-Q4"]) == 0
    out, err = capsys.readouterr()
    assert [line.split("\t")[1] for line in out.splitlines()] == ["A-1", "A-2"]
    assert "2 offsets, 4 tCO2e" in err
    assert main(["offsets", "--plant", str(plant), "list", "--period", "2026-11"]) == 0
    assert capsys.readouterr().out.count("\n") == 1


def test_a_known_serial_refuses_the_whole_file(
    plant: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["offsets", "--plant", str(plant), "add", str(_write(tmp_path, _offset("A-1")))]) == 0
    again = _write(tmp_path, [_offset("B-1"), _offset("a-1")])
    assert main(["offsets", "--plant", str(plant), "add", str(again)]) == 1
    err = capsys.readouterr().err
    assert "'a-1' is already recorded (offsets.jsonl:1" in err
    assert (tmp_path / "ledger" / "offsets.jsonl").read_text().count("\n") == 1


def test_bad_input_names_file_item_and_field(
    plant: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(tmp_path, [_offset("A-1"), {**_offset("A-2"), "tco2e": 0}])
    assert main(["offsets", "--plant", str(plant), "add", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "tco2e" in err and "[1]" in err
    twice = _write(tmp_path, [_offset("A-1"), _offset("A-1")])
    assert main(["offsets", "--plant", str(plant), "add", str(twice)]) == 2
    assert "more than once" in capsys.readouterr().err
    assert not (tmp_path / "ledger" / "offsets.jsonl").exists()


def test_a_plant_without_a_ledger_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["offsets", "--plant", str(PLANT_FILE), "list"]) == 2
    assert "accounts.offsets.file: not set" in capsys.readouterr().err
