"""Who may call what: every route x every caller (no token, a wrong token, each role)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from carbon_engine.accounts.offsets import OffsetLedger
from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from carbon_engine.api.guard import CSP
from carbon_engine.view import EngineView
from iiot_core.store import StoreReader
from tests.support.api_tokens import api_settings, auth, token
from tests.support.engine_setup import PLANT_FILE, FedPlant, feed_plant

# (method, path template, role needed); None = open to anyone. The stream is covered over a
# real server in test_stream.py (it never ends by itself), its refusals here.
ROUTES: list[tuple[str, str, Role | None]] = [
    ("GET", "/health", None),
    ("GET", "/metrics", Role.viewer),
    ("GET", "/api/v1/tree", Role.viewer),
    ("GET", "/api/v1/live", Role.viewer),
    ("GET", "/api/v1/history", Role.viewer),
    ("GET", "/api/v1/alerts", Role.viewer),
    ("GET", "/api/v1/factors", Role.viewer),
    ("GET", "/api/v1/devices", Role.viewer),
    ("GET", "/api/v1/stream", Role.viewer),
    ("POST", "/api/v1/alerts/{alert_id}/ack", Role.operator),
    ("GET", "/api/v1/offsets", Role.viewer),
    ("POST", "/api/v1/offsets", Role.operator),
    ("GET", "/api/v1/config", Role.admin),
    ("GET", "/api/v1/reports/{period}", Role.viewer),
]
WRONG = "zcf_0badc0de_not-a-real-secret"
CALLERS: list[tuple[str, dict[str, str]]] = [
    ("no token", {}),
    ("wrong token", {"Authorization": f"Bearer {WRONG}"}),
    ("not bearer", {"Authorization": "Basic dXNlcjpwYXNz"}),
    *[(role.value, auth(role)) for role in Role],
]


def _allowed(needed: Role | None, caller: str) -> bool:
    return needed is None or (caller in Role.__members__ and Role(caller).allows(needed))


# An allowed stream never ends: test_stream.py reads it, with a viewer token, over a real server.
CASES = [
    pytest.param(m, p, needed, caller, headers, id=f"{m} {p} {caller}")
    for m, p, needed in ROUTES
    for caller, headers in CALLERS
    if not (p.endswith("/stream") and _allowed(needed, caller))
]


@pytest.fixture
async def plant(tmp_path: Path) -> FedPlant:
    """Ten minutes of plant telemetry are enough here (an alert is raised 5 min before now)."""
    return await feed_plant(tmp_path / "store.db", minutes=10)


def _app(
    view: EngineView, reader: StoreReader, ledger: OffsetLedger | None = None, **settings: object
) -> FastAPI:
    return create_app(api_settings(**settings), view, reader, offsets_ledger=ledger, plant_path=PLANT_FILE)


@pytest.fixture
async def app_client(
    view: EngineView, reader: StoreReader, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(view, reader, OffsetLedger(tmp_path / "offsets.jsonl"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


OFFSET = {
    "serial": "CCER-2025-0200-000001-001000",
    "registry": "CCER registry",
    "kind": "ccer",
    "vintage": 2025,
    "tco2e": 1.0,
    "retired_on": "2026-11-05",
    "period": "2026-11",
    "evidence": "retirement certificate",
}


def _request(method: str, template: str, view: EngineView) -> tuple[str, str, dict[str, str], object]:
    """A valid call of the route, so that an allowed caller gets a success."""
    alert_id = view.alerts()[0].id
    path = template.replace("{alert_id}", alert_id).replace("{period}", "month")
    params = {"node": "plant1", "metric": "power_kw"} if path.endswith("/history") else {}
    body = OFFSET if (method, path) == ("POST", "/api/v1/offsets") else None
    return method, path, params, body


def test_every_route_is_in_the_table(view: EngineView, reader: StoreReader) -> None:
    app = _app(view, reader)
    paths = app.openapi()["paths"]
    found = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert found == {(m, p) for m, p, _ in ROUTES}


@pytest.mark.parametrize(("method", "template", "needed", "caller", "headers"), CASES)
async def test_route_by_caller(
    app_client: httpx.AsyncClient,
    view: EngineView,
    method: str,
    template: str,
    needed: Role | None,
    caller: str,
    headers: dict[str, str],
) -> None:
    method, path, params, body = _request(method, template, view)
    role = Role(caller) if caller in Role.__members__ else None
    r = await app_client.request(method, path, params=params, headers=headers, json=body)
    if _allowed(needed, caller):
        assert r.status_code == (201 if body is not None else 200), r.text
    elif role is None:
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"].startswith("Bearer")
    else:
        assert r.status_code == 403, r.text
        assert needed.value in r.json()["detail"] and role.value in r.json()["detail"]


async def test_refusals_are_logged_with_role_and_route_never_the_token(
    app_client: httpx.AsyncClient, view: EngineView, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    alert_id = view.alerts()[0].id
    viewer = token(Role.viewer)
    await app_client.post(f"/api/v1/alerts/{alert_id}/ack", headers=auth(Role.viewer))
    await app_client.get("/api/v1/config", headers={"Authorization": f"Bearer {WRONG}"})
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 2, refused
    assert "role=viewer" in refused[0] and "route=POST /api/v1/alerts/{alert_id}/ack" in refused[0]
    assert "status=403" in refused[0]
    assert "role=none" in refused[1] and "route=GET /api/v1/config" in refused[1]
    assert "status=401" in refused[1]
    assert viewer not in caplog.text and viewer.split("_", 2)[2] not in caplog.text
    assert WRONG not in caplog.text and "not-a-real-secret" not in caplog.text


async def test_no_token_in_health_metrics_or_config(app_client: httpx.AsyncClient) -> None:
    for role in Role:  # every token used once, so that a leak would have something to show
        await app_client.get("/api/v1/tree", headers=auth(role))
    bodies = [
        (await app_client.get("/health")).text,
        (await app_client.get("/metrics", headers=auth(Role.viewer))).text,
        (await app_client.get("/api/v1/config", headers=auth(Role.admin))).text,
    ]
    for role in Role:
        secret = token(role).split("_", 2)[2]  # the secret itself may hold "_"
        assert all(secret not in body for body in bodies), role
    config = (await app_client.get("/api/v1/config", headers=auth(Role.admin))).json()
    assert {t["role"] for t in config["tokens"]} == {r.value for r in Role}
    assert "tokens" not in config["settings"]


async def test_open_read_only_mode_reads_without_a_token_but_asks_one_to_write(
    view: EngineView, reader: StoreReader
) -> None:
    app = _app(view, reader, open_read_only=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/api/v1/live")).status_code == 200
        assert (await c.get("/metrics")).status_code == 200
        alert_id = view.alerts()[0].id
        refused = await c.post(f"/api/v1/alerts/{alert_id}/ack")
        assert refused.status_code == 401 and "open read-only mode" in refused.json()["detail"]
        assert (await c.get("/api/v1/config")).status_code == 401
        assert (await c.get("/api/v1/live", headers={"Authorization": f"Bearer {WRONG}"})).status_code == 401
        ok = await c.post(f"/api/v1/alerts/{alert_id}/ack", headers=auth(Role.operator))
        assert ok.status_code == 200 and ok.json()["state"] == "acknowledged"


@pytest.mark.parametrize("path", ["/health", "/dashboard/", "/static/js/main.js", "/api/v1/tree", "/nowhere"])
async def test_security_headers_on_every_response(app_client: httpx.AsyncClient, path: str) -> None:
    r = await app_client.get(path)
    assert r.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "http" not in CSP  # no external source
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_a_big_body_is_refused_with_413_before_it_is_read(
    app_client: httpx.AsyncClient, view: EngineView
) -> None:
    url = f"/api/v1/alerts/{view.alerts()[0].id}/ack"
    read: list[int] = []

    def body(chunks: int) -> object:
        async def gen() -> AsyncIterator[bytes]:
            for _ in range(chunks):
                read.append(1)
                yield b" " * 16384

        return gen()

    declared = await app_client.post(url, content=b" " * 65537, headers=auth(Role.operator))
    assert declared.status_code == 413 and "65536 bytes" in declared.json()["detail"]
    assert declared.headers["x-content-type-options"] == "nosniff"
    # Chunked (no Content-Length): counted as it arrives, refused once past the cap.
    chunked = await app_client.post(url, content=body(1000), headers=auth(Role.operator))  # type: ignore[arg-type]
    assert chunked.status_code == 413, chunked.text
    small = await app_client.post(url, json={"by": "anna"}, headers=auth(Role.operator))
    assert small.status_code == 200
