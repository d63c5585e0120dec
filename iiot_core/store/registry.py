"""Factories: a store URL to a writer or a reader, through explicit registries by scheme."""

from __future__ import annotations

from collections.abc import Callable

from iiot_core.store.base import StoreReader, StoreWriter
from iiot_core.store.influx_v1 import InfluxV1Writer
from iiot_core.store.influx_v2 import InfluxV2Writer
from iiot_core.store.influxql import InfluxQLReader
from iiot_core.store.sqlite import SqliteWriter
from iiot_core.store.sqlite_reader import SqliteReader
from iiot_core.store.url import StoreUrl, parse_store_url

WRITERS: dict[str, Callable[[StoreUrl], StoreWriter]] = {
    "sqlite": SqliteWriter,
    "influxdb-v1": InfluxV1Writer,
    "influxdb-v2": InfluxV2Writer,
}

READERS: dict[str, Callable[[StoreUrl], StoreReader]] = {
    "sqlite": SqliteReader,
    "influxdb-v1": InfluxQLReader,
    "influxdb-v2": InfluxQLReader,
}


def open_writer(url: str | StoreUrl) -> StoreWriter:
    """A writer for ``url`` (not yet connected: call ``await writer.check()``)."""
    parsed = parse_store_url(url) if isinstance(url, str) else url
    return WRITERS[parsed.scheme](parsed)


def open_reader(url: str | StoreUrl) -> StoreReader:
    """A reader for ``url`` (call ``await reader.check()`` to fail early and clearly)."""
    parsed = parse_store_url(url) if isinstance(url, str) else url
    return READERS[parsed.scheme](parsed)
