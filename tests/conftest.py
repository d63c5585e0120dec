"""Shared fixtures: real servers on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import Influxd, Mosquitto, VictoriaMetrics, influxd, mosquitto, victoria_metrics


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto broker for one test."""
    d = tmp_path / "mosquitto"
    d.mkdir()
    with mosquitto(d) as b:
        yield b


@pytest.fixture
def influx(tmp_path: Path) -> Iterator[Influxd]:
    """A real InfluxDB 1.x server for one test, with an empty database ``zcf``."""
    d = tmp_path / "influxd"
    d.mkdir()
    with influxd(d) as server:
        server.query("CREATE DATABASE zcf")
        yield server


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    """A real VictoriaMetrics server for one test (accepts the InfluxDB v2 write API)."""
    d = tmp_path / "victoria"
    d.mkdir()
    with victoria_metrics(d) as server:
        yield server
