"""The deployment files are consistent with the code: roles exist, referenced files exist."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

import zcf.demo
from zcf.cli import ROLES

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
# Secrets the operator creates on the host (documented in deploy/README.md), never shipped.
OPERATOR_FILES = {"./mosquitto/passwd"}


def test_compose_is_valid_and_uses_real_roles() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"mosquitto", "influxdb", "ingest", "engine", "edge"} <= set(services)
    for name, svc in services.items():
        if "build" in svc:
            assert (DEPLOY / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
            cmd = svc["command"]
            assert cmd[0] == "zcf" and cmd[1] in ROLES, name
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("./") and src not in OPERATOR_FILES:
                assert (DEPLOY / src).exists(), f"{name}: {src}"
    for vol in compose["volumes"]:
        assert any(vol in str(s.get("volumes", [])) for s in services.values())


def test_systemd_units_start_real_roles() -> None:
    units = sorted((DEPLOY / "systemd").glob("zcf-*.service"))
    assert len(units) == 3
    for unit in units:
        exec_line = next(li for li in unit.read_text().splitlines() if li.startswith("ExecStart="))
        role = exec_line.split("/zcf ")[1].split()[0]
        assert role in ROLES and unit.stem == f"zcf-{role}"


def test_the_package_ships_the_deploy_examples_themselves() -> None:
    # One copy in git: the package's examples folder is a link to deploy/examples.
    shipped = Path(zcf.demo.__file__).parent / "examples"
    assert shipped.is_symlink() and shipped.resolve() == DEPLOY / "examples"
    assert zcf.demo.EXAMPLES.resolve() == DEPLOY / "examples"
    assert {p.name for p in (DEPLOY / "examples").glob("*.toml")} == {"edge.toml", "plant.toml"}


def test_the_image_installs_the_extras_of_the_roles_compose_runs() -> None:
    arg = next(li for li in (DEPLOY / "Dockerfile").read_text().splitlines() if li.startswith("ARG EXTRAS="))
    extras = set(arg.removeprefix("ARG EXTRAS=").split(","))
    project = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())["project"]
    assert extras <= set(project["optional-dependencies"]), arg
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    roles = {svc["command"][1] for svc in services.values() if "build" in svc}
    assert roles <= extras, f"Dockerfile {arg} lacks the extras of {sorted(roles - extras)}"
