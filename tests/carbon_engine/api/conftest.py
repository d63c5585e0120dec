"""Fixtures: the API over an engine fed with simulated plant telemetry and a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from carbon_engine.api import create_app
from carbon_engine.view import EngineView
from iiot_core.store import StoreReader, open_reader
from tests.support.api_tokens import api_settings, auth
from tests.support.engine_setup import FedPlant, feed_plant


@pytest.fixture
async def plant(tmp_path: Path) -> FedPlant:
    """An engine fed with an hour of simulated plant telemetry, its results in a SQLite store."""
    return await feed_plant(tmp_path / "store.db")


@pytest.fixture
async def reader(plant: FedPlant) -> AsyncIterator[StoreReader]:
    r = open_reader(plant.store_url)
    await r.check()
    yield r
    await r.close()


@pytest.fixture
def view(plant: FedPlant) -> EngineView:
    return plant.view


@pytest.fixture
async def client(view: EngineView, reader: StoreReader) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_settings(), view, reader)
    transport = httpx.ASGITransport(app=app)
    # The operator's token: these tests read and acknowledge (test_access.py covers the roles).
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test", headers=auth()) as c:
        yield c
