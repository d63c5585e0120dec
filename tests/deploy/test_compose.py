"""deploy/compose.yaml is a valid Compose file that would run as written (no Docker here)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent
# Created by the operator on the host (deploy/README.md), never committed.
OPERATOR_FILES = {"./mosquitto/passwd"}
# What a fresh clone must not send to the image build (deploy/Dockerfile: COPY . .).
NEVER_SHIPPED = {".git", ".venv", "data", "node_modules", "build"}


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def _compose_schema() -> dict[str, Any]:
    # The Compose Specification's schema as check-jsonschema vendors it (with its licence).
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    return schema


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def test_compose_follows_the_compose_specification() -> None:
    validator = jsonschema.Draft202012Validator(_compose_schema())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_compose())
    ]
    assert not errors, "deploy/compose.yaml: " + "; ".join(errors)


def test_the_schema_check_catches_a_wrong_key() -> None:
    # The validation above has teeth: a misspelt depends_on condition is refused.
    broken = _compose()
    broken["services"]["engine"]["depends_on"]["ingest"]["condition"] = "service_ready"
    assert not jsonschema.Draft202012Validator(_compose_schema()).is_valid(broken)


def _bind_sources(svc: dict[str, Any]) -> list[str]:
    return [v.split(":")[0] for v in svc.get("volumes", []) if v.startswith(".")]


def test_every_file_compose_mounts_or_builds_exists() -> None:
    for name, svc in _services().items():
        for src in _bind_sources(svc):
            if src not in OPERATOR_FILES:
                assert (DEPLOY / src).exists(), f"deploy/compose.yaml: service {name} mounts missing {src}"
        if "build" in svc:
            build = svc["build"]
            assert (DEPLOY / build["context"] / build["dockerfile"]).is_file(), name


def test_every_dependency_waits_for_a_healthy_service() -> None:
    services = _services()
    for name, svc in services.items():
        for dep, spec in svc.get("depends_on", {}).items():
            assert spec == {"condition": "service_healthy"}, f"{name} depends_on {dep}: {spec}"
            assert "healthcheck" in services[dep], f"{name} waits for {dep}, which has no healthcheck"


def test_the_site_has_a_simulated_plant_polled_by_an_edge_agent() -> None:
    services = _services()
    assert services["sim"]["command"][:2] == ["zcf", "sim"]
    edge = services["edge"]
    # The example edge.toml polls 127.0.0.1: the agent must share the simulator's network.
    assert edge["network_mode"] == "service:sim"
    assert "./examples/edge.toml" in _bind_sources(edge)


def test_the_engine_api_is_reachable_from_outside_its_container() -> None:
    engine = _services()["engine"]
    assert engine["environment"]["ZCF_API_HOST"] == "0.0.0.0"
    port = engine["environment"]["ZCF_API_PORT"]
    assert f"{port}:{port}" in engine["ports"]
    assert engine["environment"]["ZCF_STORE_URL"] == _services()["ingest"]["environment"]["ZCF_STORE_URL"]


def test_influxdb_maps_the_database_the_readers_query() -> None:
    influx = _services()["influxdb"]
    script = (DEPLOY / "influxdb" / "init" / "dbrp.sh").read_text()
    assert "influx v1 dbrp create" in script and "DOCKER_INFLUXDB_INIT_BUCKET_ID" in script
    assert "./influxdb/init" in _bind_sources(influx)
    db = influx["environment"]["ZCF_INFLUX_DB"]
    # The readers name the bucket as the database (iiot_core.store.url: influxdb-v2://.../org/bucket).
    assert _services()["engine"]["environment"]["ZCF_STORE_URL"].endswith(f"/{db}")


def _dockerignore() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return {li.strip().rstrip("/") for li in lines if li.strip() and not li.startswith("#")}


def test_the_build_context_leaves_out_what_must_not_ship() -> None:
    missing = NEVER_SHIPPED - _dockerignore()
    assert not missing, f".dockerignore lacks {sorted(missing)}"


def _stages(dockerfile: str) -> list[str]:
    return [li for li in dockerfile.splitlines() if li.startswith("FROM ")]


def test_the_image_builds_its_chart_assets_and_runs_unprivileged() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(_stages(text)) >= 2, "deploy/Dockerfile: expected a multi-stage build"
    assert "build_assets.sh" in text
    users = [li.split()[1] for li in text.splitlines() if li.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), f"deploy/Dockerfile: final USER {users}"


@pytest.mark.parametrize("name", ["mosquitto", "influxdb", "sim", "ingest", "engine", "grafana"])
def test_long_running_services_restart(name: str) -> None:
    assert _services()[name]["restart"] == "unless-stopped"
