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


@pytest.fixture
async def durable(broker: Any) -> AsyncIterator[Collector]:
    """A collector with a persistent session: the broker queues for it while it is away."""
    c = Collector(broker.url)
    c.conn._persistent = True
    c.conn._session_expiry_s = 600
    await c.conn.start(wait_s=5)
    await asyncio.sleep(0.1)
    yield c
    await c.conn.stop()
