"""Live push over a real uvicorn: SSE carries live values, device lists and alert events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from carbon_engine.api import ApiSettings, create_app
from carbon_engine.api.auth import Role
from tests.support.api_tokens import api_settings, auth
from tests.support.engine_setup import feed_plant, live_feeder
from tests.support.live_server import Feeder, LiveServer, live_server


def _events(lines: Iterator[str]) -> Iterator[tuple[str, object]]:
    kind, data = "", ""
    for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data += line[6:]
        elif line == "" and kind:
            yield kind, json.loads(data)
            kind, data = "", ""


def _server(tmp_path: Path, settings: ApiSettings | None = None) -> LiveServer:
    async def build() -> tuple[object, Feeder]:
        plant = await feed_plant(tmp_path / "store.db")
        return create_app(settings or api_settings(), plant.view, None), live_feeder(plant)

    return LiveServer(build)  # type: ignore[arg-type]


def test_stream_pushes_snapshot_then_live_and_alert_events(tmp_path: Path) -> None:
    server = _server(tmp_path)
    server.start()
    try:
        seen: dict[str, list[object]] = {"live": [], "devices": [], "alert": []}
        with httpx.stream("GET", f"{server.url}/api/v1/stream", timeout=10, headers=auth(Role.viewer)) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            for kind, data in _events(r.iter_lines()):
                seen.setdefault(kind, []).append(data)
                if len(seen["live"]) >= 3 and seen["devices"] and seen["alert"]:
                    break
        first = seen["live"][0]
        assert isinstance(first, list) and {v["path"] for v in first} >= {"plant1"}
        stamps = [max(v["ts"] for v in batch) for batch in seen["live"]]  # type: ignore[union-attr]
        assert stamps[-1] > stamps[0], "live values should move"
        site = next(v for v in seen["live"][-1] if v["path"] == "plant1")  # type: ignore[union-attr]
        assert site["stale"] is False and 0 <= site["age_s"] <= site["stale_after_s"], site
        metrics = httpx.get(f"{server.url}/metrics", headers=auth(Role.viewer)).text
        assert 'zcf_api_engine_events_total{kind="live"}' in metrics
    finally:
        server.stop()


def test_too_many_live_clients_get_503(tmp_path: Path) -> None:
    server = _server(tmp_path, api_settings(sse_max_clients=1))
    with (
        live_server(server.build) as s,
        httpx.stream("GET", f"{s.url}/api/v1/stream", timeout=10, headers=auth(Role.viewer)) as first,
    ):
        lines = first.iter_lines()  # keep a reference: a collected iterator closes the stream
        next(lines)
        second = httpx.get(f"{s.url}/api/v1/stream", timeout=5, headers=auth(Role.viewer))
        assert second.status_code == 503
        assert "too many live clients" in second.json()["detail"]


async def test_server_stops_with_a_client_connected(tmp_path: Path) -> None:
    server = _server(tmp_path)
    await asyncio.to_thread(server.start)
    async with (
        httpx.AsyncClient(timeout=10) as c,
        c.stream("GET", f"{server.url}/api/v1/stream", headers=auth(Role.viewer)) as r,
    ):
        assert r.status_code == 200
        await asyncio.wait_for(asyncio.to_thread(server.stop), 8)


def test_stream_opens_with_the_active_alerts(tmp_path: Path) -> None:
    """A client that (re)connects gets every alert not cleared, so nothing raised meanwhile is missed."""
    with live_server(_server(tmp_path).build) as s:
        active: list[dict[str, object]] = []
        for _ in range(100):
            active = [
                a
                for a in httpx.get(f"{s.url}/api/v1/alerts", headers=auth(Role.viewer)).json()
                if a["state"] != "cleared"
            ]
            if active:
                break
            time.sleep(0.1)
        assert active, "the fed plant raised no alert"
        with httpx.stream("GET", f"{s.url}/api/v1/stream", timeout=10, headers=auth(Role.viewer)) as r:
            events = _events(r.iter_lines())
            assert next(events)[0] == "live"
            kind, snapshot = next(events)
        assert kind == "alerts" and isinstance(snapshot, list)
        assert all(a["state"] != "cleared" for a in snapshot)
        assert {a["id"] for a in active} <= {a["id"] for a in snapshot}


def _gauge(url: str) -> float:
    text = httpx.get(f"{url}/metrics", headers=auth(Role.viewer), timeout=10).text
    return float(next(ln.split()[-1] for ln in text.splitlines() if ln.startswith("zcf_api_sse_clients ")))


async def _burst(url: str, n: int) -> list[int]:
    """``n`` clients open the stream at once; each holds its answer until all have one."""
    statuses: list[int] = []
    all_in = asyncio.Event()
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)

    async def one(c: httpx.AsyncClient) -> None:
        async with c.stream("GET", f"{url}/api/v1/stream", headers=auth(Role.viewer)) as r:
            statuses.append(r.status_code)
            if len(statuses) == n:
                all_in.set()
            await all_in.wait()

    async with httpx.AsyncClient(timeout=60, limits=limits) as c:
        await asyncio.wait_for(asyncio.gather(*(one(c) for _ in range(n))), 90)
    return statuses


def test_the_live_client_limit_is_exact_under_a_burst_of_300(tmp_path: Path) -> None:
    with live_server(_server(tmp_path, api_settings(sse_max_clients=100)).build) as s:
        statuses = asyncio.run(_burst(s.url, 300))
        assert statuses.count(200) == 100, sorted(set(statuses))
        assert statuses.count(503) == 200
        # Every slot is given back once its client is gone, and the next client gets one.
        deadline = time.monotonic() + 15
        while _gauge(s.url) != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gauge(s.url) == 0
        assert asyncio.run(_burst(s.url, 100)).count(200) == 100
