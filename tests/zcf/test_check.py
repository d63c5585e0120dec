"""``zcf check``: each file goes to its role's checker; a checker that is not installed is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from zcf import check
from zcf.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "examples"


def test_check_passes_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    files = ("edge.toml", "plant.toml", "suppliers/example-steel.toml")
    assert main(["check", *(str(EXAMPLES / f) for f in files)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        *(f"{EXAMPLES / f}: OK" for f in files),
        "plant meters match the edge devices: OK",
    ]


def test_check_refuses_a_file_of_no_role(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text("[something]\nx = 1\n")
    assert check.check_file(path) == [
        f"{path}: (top level): not a known config: expected [devices], [site] or supplier = ID"
    ]


def test_check_names_the_extra_a_missing_checker_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a gateway without the engine's extra: the checker module cannot be imported.
    monkeypatch.setitem(check.CHECKERS, "site", ("carbon_engine.not_installed", "engine"))
    path = tmp_path / "plant.toml"
    path.write_text((EXAMPLES / "plant.toml").read_text())
    (line,) = check.check_file(path)
    assert line.startswith(f"{path}: [site]: checking this file needs `pip install 'zcf[engine]'`")
    assert "carbon_engine.not_installed" in line
