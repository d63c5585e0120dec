"""The dashboard's files are served by the app; a missing build step gives a clear page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from carbon_engine.api import create_app, dashboard
from carbon_engine.view import EngineView
from tests.support.api_tokens import api_settings


def _client(view: EngineView) -> httpx.AsyncClient:
    app = create_app(api_settings(), view, None)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_page_and_modules_are_served(view: EngineView) -> None:
    async with _client(view) as c:
        root = await c.get("/")
        assert root.status_code == 307 and root.headers["location"] == "/dashboard/"
        for path in ("/static/js/main.js", "/static/js/trend.js", "/static/dashboard.css"):
            r = await c.get(path)
            assert r.status_code == 200, path
        assert (await c.get("/static/nope.js")).status_code == 404
        if not dashboard.missing_assets():
            page = await c.get("/dashboard/")
            assert page.status_code == 200 and 'type="module"' in page.text


async def test_missing_chart_library_gives_a_page_saying_how_to_build(
    view: EngineView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A static folder without vendor/: as in a checkout where the build step was not run.
    monkeypatch.setattr(dashboard, "STATIC", tmp_path)
    assert dashboard.missing_assets(tmp_path) == list(dashboard.VENDOR_FILES)
    async with _client(view) as c:
        r = await c.get("/dashboard/")
    assert r.status_code == 503
    assert "build_assets.sh" in r.text and "uPlot.esm.js" in r.text
