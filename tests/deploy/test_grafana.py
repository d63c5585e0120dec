"""deploy/grafana: every dashboard query reads a measurement, tags and fields that ingest writes.

Names come from the code (the store's schema, the engine's output points and series names,
the example edge config), then every query runs against a real InfluxDB 1.6 holding an
hour of the example plant as ingest stores it.
"""

from __future__ import annotations

import json
import re
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from carbon_engine.engine import Engine
from carbon_engine.results import device_name
from carbon_engine.units import ALL_POINTS
from carbon_engine.windows import SIZES_MS
from iiot_core.store import MEASUREMENT_CARBON, MEASUREMENT_TELEMETRY, Record, open_writer
from iiot_core.store.base import TAGS
from tests.support.engine_setup import PLANT_FILE, feed_messages, results_of
from tests.support.plant_feed import SITE, PlantFeed
from tests.support.servers import Influxd

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "plant.json"
EDGE_CONFIG = PLANT_FILE.with_name("edge.toml")
FROM = re.compile(r'FROM "([^"]+)"')
FIELD = re.compile(r'\w+\("([^"]+)"\)')
TAG_KEY = re.compile(r'"(\w+)" *(?:=~|!=|=|<>)')
LITERAL = re.compile(r"\"device\" = '([^']+)'")


def _panels() -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return panels


def _queries() -> list[tuple[str, str]]:
    """(panel title, InfluxQL) of every target of the dashboard."""
    return [(p["title"], t["query"]) for p in _panels() for t in p.get("targets", [])]


def _telemetry_points() -> set[str]:
    devices = tomllib.loads(EDGE_CONFIG.read_text())["devices"]
    return {pt["name"] for d in devices for pt in d["points"]}


def _result_series() -> set[str]:
    nodes = Engine.from_file(PLANT_FILE).topo.nodes
    return {device_name(n, size) for n in nodes for size in SIZES_MS}


FIELDS = {MEASUREMENT_CARBON: ALL_POINTS, MEASUREMENT_TELEMETRY: _telemetry_points()}


def test_the_dashboard_has_the_plant_views() -> None:
    fields = {f for _, q in _queries() for f in FIELD.findall(q)}
    wanted = {"power_kw", "intensity_location_kg_per_kwh", "intensity_market_kg_per_kwh"}
    wanted |= {"scope1_kg", "scope2_location_kg", "scope2_market_kg"}
    assert wanted <= fields, f"{DASHBOARD.name} lacks {sorted(wanted - fields)}"
    assert any('GROUP BY time($__interval), "line"' in q for _, q in _queries()), "no per-line panel"
    assert any("alert" in p["title"].lower() for p in _panels()), "no alerts panel"


@pytest.mark.parametrize(("title", "query"), _queries(), ids=[t for t, _ in _queries()])
def test_each_query_names_what_ingest_writes(title: str, query: str) -> None:
    measurements = FROM.findall(query)
    assert len(measurements) == 1 and measurements[0] in FIELDS, f"{title}: measurement {measurements}"
    unknown = set(FIELD.findall(query)) - FIELDS[measurements[0]]
    assert FIELD.findall(query) and not unknown, f"{title}: fields {sorted(unknown)} are never written"
    tags = set(TAG_KEY.findall(query)) - {"time"}
    assert tags <= set(TAGS), f"{title}: tags {sorted(tags - set(TAGS))} are not store tags {TAGS}"
    series = set(LITERAL.findall(query)) - _result_series()
    assert not series, f"{title}: no result series named {sorted(series)}"


def test_the_datasource_reads_the_database_compose_maps() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "influxdb.yaml").read_text())
    (source,) = ds["datasources"]
    uids = {t["datasource"]["uid"] for p in _panels() for t in p.get("targets", [])}
    assert uids == {source["uid"]}
    assert source["jsonData"]["dbName"] == "zcf"
    assert source["secureJsonData"]["httpHeaderValue1"].startswith("Token ")


async def _store_an_hour(influx: Influxd, minutes: float = 40.0) -> float:
    """The example plant's telemetry and the engine's results, written as ingest writes them."""
    influx.query("CREATE DATABASE zcf")
    engine = Engine.from_file(PLANT_FILE)
    end = time.time()
    start = t = end - minutes * 60
    feed = PlantFeed(start)
    records: list[Record] = []
    while t <= end:
        now_ms = int(t * 1000)
        messages = feed.messages(t)
        feed_messages(engine, messages, now_ms)
        records += [(MEASUREMENT_TELEMETRY, m) for m in messages]
        records += results_of(engine.advance(now_ms), now_ms)
        t += 10.0
    writer = open_writer(influx.store_url())
    try:
        await writer.write(records)
    finally:
        await writer.close()
    return start


def _grafana_macros(query: str, start_s: float) -> str:
    # What Grafana substitutes before it sends the query, for the dashboard's site variable.
    return (
        query.replace("$timeFilter", f"time >= {int(start_s * 1000)}ms")
        .replace("$__interval", "1m")
        .replace("$site", SITE)
    )


def _values(answer: dict[str, Any]) -> list[Any]:
    series = [s for r in answer.get("results", []) for s in r.get("series", [])]
    return [v for s in series for row in s["values"] for v in row[1:] if v is not None]


@pytest.mark.timeout(60)
async def test_every_query_finds_data_in_a_real_influxdb(influx: Influxd) -> None:
    start = await _store_an_hour(influx)
    empty = [title for title, q in _queries() if not _values(influx.query(_grafana_macros(q, start)))]
    assert not empty, f"{DASHBOARD.name}: panels without data: {empty}"
    variable = json.loads(DASHBOARD.read_text())["templating"]["list"][0]["query"]
    assert _values(influx.query(variable)) == [SITE]
