"""A plain (non-editable) install of the project wheel runs ``zcf check`` and ``zcf demo`` on the
example configs shipped inside it, from outside the source tree.

The wheel is built from this checkout and installed without dependencies into a fresh venv
that sees this environment's packages through a ``.pth`` line: a full dependency install
would need the network and minutes, and is not what this test is about.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.demo_process import processes_mentioning, running_demo

ROOT = Path(__file__).resolve().parents[2]
# Not sources: a stale build/ in particular would put files in the wheel that the sources lack.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "data", "*.egg-info", "*cache*", "__pycache__"
)


@dataclass(frozen=True)
class Installed:
    python: Path
    zcf: Path

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.zcf), *args], capture_output=True, text=True, timeout=60, check=False, cwd=cwd
        )


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, timeout=120, capture_output=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, tmp / "src", symlinks=True, ignore=NOT_SOURCES)
    _pip("wheel", "--no-deps", "--wheel-dir", str(tmp / "dist"), str(tmp / "src"))
    (wheel,) = (tmp / "dist").glob("zcf-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    _pip("--python", str(python), "install", "--no-deps", "--no-index", str(wheel))
    # The dependencies come from this environment; its editable `zcf` does not: a path added by
    # a .pth line is not a site dir, so the editable finder's own .pth there is not processed.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    Path(purelib, "zcf-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return Installed(python, venv / "bin" / "zcf")


def _shipped_examples(installed: Installed, cwd: Path) -> Path:
    code = "import zcf.demo; print(zcf.demo.EXAMPLES)"
    out = subprocess.run(
        [str(installed.python), "-c", code], capture_output=True, text=True, check=True, timeout=30, cwd=cwd
    )
    return Path(out.stdout.strip())


@pytest.mark.timeout(180)
def test_installed_wheel_checks_its_shipped_examples(installed: Installed, tmp_path: Path) -> None:
    examples = _shipped_examples(installed, tmp_path)
    assert examples.is_relative_to(installed.python.parent.parent), f"examples not installed: {examples}"
    assert not examples.is_relative_to(ROOT)
    done = installed.run("check", str(examples / "edge.toml"), str(examples / "plant.toml"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{examples / 'edge.toml'}: OK",
        f"{examples / 'plant.toml'}: OK",
        "plant meters match the edge devices: OK",
    ]


@pytest.mark.timeout(180)
def test_installed_wheel_runs_the_demo(installed: Installed, tmp_path: Path) -> None:
    with running_demo(tmp_path, [str(installed.zcf)]) as demo:
        site_row = demo.wait_for_site_power(30)
        roles = processes_mentioning(str(tmp_path))
        out = demo.interrupt()
    assert site_row.get("power_kw"), f"no live site power from the installed demo:\n{out[-3000:]}"
    assert demo.proc.returncode == 0, out
    # The roles ran on the installed interpreter with the configs shipped in the wheel.
    edge = next(args for args in roles if " -m zcf.cli edge " in args)
    assert edge.startswith(f"{installed.python} -m zcf.cli edge "), edge
    assert f"--config {_shipped_examples(installed, tmp_path) / 'edge.toml'} " in edge, edge


def test_installed_wheel_ships_the_report_schema_and_style(installed: Installed, tmp_path: Path) -> None:
    code = (
        "from carbon_engine.accounts.render.schema import report_schema\n"
        "from carbon_engine.accounts.render.html import stylesheet\n"
        "from carbon_engine.api.dashboard import STATIC\n"
        "print(report_schema()['title'], '@media print' in stylesheet(), (STATIC / 'period.html').is_file())"
    )
    out = subprocess.run(
        [str(installed.python), "-c", code], capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["True", "True"] and out.stdout.startswith("zcf disclosure report")
