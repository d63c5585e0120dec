"""Fixtures for the edge agent tests (the helpers live in tests/support/edge.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.edge import Collector


@pytest.fixture
async def collector(broker: Any) -> AsyncIterator[Collector]:
    c = Collector(broker.url)
    await c.conn.start(wait_s=5)
    await asyncio.sleep(0.1)
    yield c
    await c.conn.stop()
