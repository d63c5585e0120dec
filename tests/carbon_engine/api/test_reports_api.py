"""GET /api/v1/reports/{period}: JSON, HTML and CSV over the engine's store reader."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest

from carbon_engine.accounts.render.canonical import verify
from carbon_engine.accounts.render.schema import schema_errors
from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from iiot_core.store import open_reader
from tests.carbon_engine.accounts.report_store import PlayedStore, played_store
from tests.carbon_engine.helpers import ms
from tests.support.api_tokens import api_settings, auth

START_S = ms("2026-11-18T02:00:05Z") // 1000


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PlayedStore:
    return asyncio.run(played_store(tmp_path_factory.mktemp("store"), START_S, 3600))


@pytest.fixture
async def client(store: PlayedStore) -> AsyncIterator[httpx.AsyncClient]:
    reader = open_reader(store.url)
    app = create_app(api_settings(), store.engine, reader, plant_path=store.plant_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await reader.close()


@pytest.mark.timeout(120)
async def test_json_html_and_csv_of_one_report(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/reports/2026-11", headers=auth(Role.viewer))
    assert r.status_code == 200, r.text
    report = r.json()
    assert schema_errors(report) == [] and verify(report)
    assert report["report"]["period"]["key"] == "2026-11"
    assert report["recompute"]["equal"] is True
    page = await client.get(
        "/api/v1/reports/2026-11", params={"format": "html", "lang": "zh"}, headers=auth(Role.viewer)
    )
    assert page.headers["content-type"].startswith("text/html")
    # Built once, kept: the page shows the same report (same digest) as the JSON.
    assert report["digest"]["value"] in page.text and "碳排放与能源信息披露报告" in page.text
    tables = await client.get("/api/v1/reports/2026-11", params={"format": "csv"}, headers=auth(Role.viewer))
    assert tables.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(tables.content)).namelist()
    assert "plant1-2026-11/indicators.csv" in names
    css = await client.get("/dashboard/report.css")
    assert css.status_code == 200 and "@media print" in css.text


async def test_a_malformed_period_is_refused_naming_it(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/reports/2026-13", headers=auth(Role.viewer))
    assert r.status_code == 422
    assert "2026-13" in r.text


async def test_without_the_plant_file_reports_are_unavailable(store: PlayedStore) -> None:
    reader = open_reader(store.url)
    app = create_app(api_settings(), store.engine, reader)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/api/v1/reports/2026-11", headers=auth(Role.viewer))
    await reader.close()
    assert r.status_code == 503 and "plant file" in r.json()["detail"]


@pytest.mark.timeout(120)
async def test_with_the_store_url_a_report_is_built_apart_with_the_same_figures(
    store: PlayedStore, client: httpx.AsyncClient
) -> None:
    reader = open_reader(store.url)
    app = create_app(api_settings(), store.engine, reader, plant_path=store.plant_path, store_url=store.url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        apart = (await c.get("/api/v1/reports/2026-11", headers=auth(Role.viewer))).json()
    await reader.close()
    here = (await client.get("/api/v1/reports/2026-11", headers=auth(Role.viewer))).json()
    assert apart["nodes"] == here["nodes"] and apart["emissions"] == here["emissions"]
    assert apart["recompute"]["equal"] is True
