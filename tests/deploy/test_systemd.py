"""deploy/systemd: units that systemd accepts, hardened, sharing one store between ingest and engine."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
UNITS = sorted(SYSTEMD.glob("zcf-*.service"))
INSTALLED_ZCF = "/opt/zcf/.venv/bin/zcf"  # where deploy/README.md installs the venv
MAX_EXPOSURE = 3.0
EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)")
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze not installed (.ci/install-servers)"
)


def _settings(unit: Path, key: str) -> list[str]:
    prefix = f"{key}="
    return [li.removeprefix(prefix) for li in unit.read_text().splitlines() if li.startswith(prefix)]


def _state_dirs(unit: Path) -> set[Path]:
    return {Path("/var/lib") / d for line in _settings(unit, "StateDirectory") for d in line.split()}


def _env_example() -> dict[str, str]:
    lines = (SYSTEMD / "zcf.env").read_text().splitlines()
    pairs = [li.split("=", 1) for li in lines if li.strip() and not li.startswith("#")]
    return {k: v for k, v in pairs}


def _local_copy(unit: Path, tmp_path: Path) -> Path:
    # verify checks that ExecStart's binary exists: point it at this checkout's zcf script.
    here = Path(sys.executable).with_name("zcf")
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED_ZCF, str(here)))
    return copy


def test_ingest_and_engine_share_one_store_url() -> None:
    url = _env_example()["ZCF_STORE_URL"]
    db = Path(url.removeprefix("sqlite:///"))
    for role in ("ingest", "engine"):
        unit = SYSTEMD / f"zcf-{role}.service"
        assert "--store" not in _settings(unit, "ExecStart")[0], f"{unit.name} overrides ZCF_STORE_URL"
        assert "/etc/zcf/zcf.env" in _settings(unit, "EnvironmentFile"), unit.name
        # Both may write there (SQLite readers too, for the WAL index) under ProtectSystem=strict.
        assert any(db.is_relative_to(d) for d in _state_dirs(unit)), (
            f"{unit.name}: {db} not in StateDirectory="
        )


def test_each_unit_keeps_its_data_dir_in_its_state_directory() -> None:
    for unit in UNITS:
        data_dir = _settings(unit, "ExecStart")[0].split("--data-dir ")[1].split()[0]
        assert Path(data_dir) in _state_dirs(unit), unit.name
        assert _settings(unit, "User") == ["zcf"] and _settings(unit, "ProtectSystem") == ["strict"]


@needs_analyze
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    assert ANALYZE is not None
    run = subprocess.run(
        [ANALYZE, "verify", "--man=no", str(_local_copy(unit, tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and not run.stderr.strip(), f"{unit.name}: {run.stderr}"


def _exposure(unit: Path) -> float:
    assert ANALYZE is not None
    run = subprocess.run(
        [ANALYZE, "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = EXPOSURE.search(run.stdout)
    assert found, (
        f"{unit.name}: no exposure level in systemd-analyze output: {run.stdout[-500:]} {run.stderr}"
    )
    return float(found.group(1))


@needs_analyze
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_the_unit_is_hardened(unit: Path, tmp_path: Path) -> None:
    exposure = _exposure(_local_copy(unit, tmp_path))
    assert exposure <= MAX_EXPOSURE, (
        f"{unit.name}: systemd-analyze security exposure {exposure} > {MAX_EXPOSURE}"
    )


@needs_analyze
def test_the_exposure_bound_would_catch_an_unhardened_unit(tmp_path: Path) -> None:
    bare = tmp_path / "bare.service"
    bare.write_text(f"[Service]\nExecStart={Path(sys.executable).with_name('zcf')} edge\n")
    assert _exposure(bare) > MAX_EXPOSURE
