"""Shared fixtures: real servers on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Mosquitto, mosquitto


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto broker for one test."""
    d = tmp_path / "mosquitto"
    d.mkdir()
    with mosquitto(d) as b:
        yield b
