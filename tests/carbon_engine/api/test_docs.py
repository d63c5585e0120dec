"""/docs: off unless enabled; when on, a page that loads only the app's own files."""

from __future__ import annotations

import re

import httpx
import pytest

from carbon_engine.api import create_app
from carbon_engine.api.docs import missing_docs_assets
from carbon_engine.view import EngineView
from tests.support.api_tokens import api_settings


def _client(view: EngineView, docs: bool) -> httpx.AsyncClient:
    app = create_app(api_settings(docs=docs), view, None)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_docs_are_off_by_default(view: EngineView) -> None:
    async with _client(view, docs=False) as c:
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/openapi.json")).status_code == 200


@pytest.mark.skipif(bool(missing_docs_assets()), reason="run carbon_engine/api/build_assets.sh")
async def test_docs_page_loads_only_local_files(view: EngineView) -> None:
    async with _client(view, docs=True) as c:
        page = await c.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith(("/static/", "data:")) for s in sources), sources
        for path in sources:
            if path.startswith("/static/"):
                assert (await c.get(path)).status_code == 200, path
        assert "script-src 'self'" in page.headers["content-security-policy"]
