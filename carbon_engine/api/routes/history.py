"""History of one node's metric over a time range, aggregated per interval, from the store."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from carbon_engine.api.access import VIEWER
from carbon_engine.api.deps import Metrics, Reader, Settings, View, known_node
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, HistoryOut, HistoryPoint, Problem
from carbon_engine.units import BASE_UNIT, CARRIER_POINTS
from carbon_engine.view import Node
from iiot_core import topics
from iiot_core.errors import StoreError
from iiot_core.store.base import MEASUREMENT_CARBON, Bucket, Selector

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, tags=["history"], responses=PROBLEMS, dependencies=VIEWER)

Agg = Literal["mean", "min", "max", "last", "sum", "count"]
INTERVAL_PATTERN = r"^[1-9][0-9]{0,6}[smhd]$"
_INTERVAL = re.compile(r"^([1-9][0-9]{0,6})([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_INTERVAL_S = 31 * 86400


@dataclass(frozen=True, slots=True)
class MetricSpec:
    field: str  # the point name the engine publishes in its result telemetry
    unit: str
    agg: Agg  # the natural aggregate over an interval


# API metric name -> stored result field (the engine's output points), unit, natural aggregate:
# rates and ratios are averaged over an interval, window amounts are summed.
_TABLE: tuple[tuple[str, str, Agg], ...] = (
    ("power_kw", "kW", "mean"),
    ("emissions_location_kg_per_h", "kgCO2/h", "mean"),
    ("emissions_market_kg_per_h", "kgCO2/h", "mean"),
    ("energy_kwh", "kWh", "sum"),
    ("electricity_kwh", "kWh", "sum"),
    ("generation_kwh", "kWh", "sum"),
    ("export_kwh", "kWh", "sum"),
    ("grid_import_kwh", "kWh", "sum"),
    ("self_consumed_kwh", "kWh", "sum"),
    ("intensity_location_kg_per_kwh", "kgCO2/kWh", "mean"),
    ("intensity_market_kg_per_kwh", "kgCO2/kWh", "mean"),
    ("intensity_electricity_location_kg_per_kwh", "kgCO2/kWh", "mean"),
    ("intensity_electricity_market_kg_per_kwh", "kgCO2/kWh", "mean"),
    ("intensity_kg_per_unit", "kgCO2/unit", "mean"),
    ("intensity_location_kg_per_unit", "kgCO2/unit", "mean"),
    ("energy_per_unit_kwh", "kWh/unit", "mean"),
    ("renewable_share", "1", "mean"),
    ("scope1_kg", "kgCO2", "sum"),
    ("scope2_location_kg", "kgCO2", "sum"),
    ("scope2_market_kg", "kgCO2", "sum"),
    ("upstream_kg", "kgCO2e", "sum"),
    ("units", "units", "sum"),
    ("estimated_share", "1", "mean"),
    # Quantities per carrier in its base unit (natural_gas_nm3, steam_t, ...): window amounts.
    *((point, BASE_UNIT[carrier], "sum") for carrier, point in CARRIER_POINTS.items()),
    ("idle_energy_kwh", "kWh", "sum"),  # lines with a state point
    ("idle_kg", "kgCO2", "sum"),
)
METRICS: dict[str, MetricSpec] = {name: MetricSpec(name, unit, agg) for name, unit, agg in _TABLE}
MetricName = Enum("MetricName", {name: name for name in METRICS}, type=str)  # type: ignore[misc]


def parse_interval(text: str) -> int:
    """``30s``, ``1m``, ``15m``, ``1h``, ``1d`` -> seconds; 422 naming the rule otherwise."""
    m = _INTERVAL.match(text)
    if m is None:
        raise HTTPException(422, f"interval {text!r}: write a number and a unit s, m, h or d, e.g. 1m")
    seconds = int(m.group(1)) * _UNIT_S[m.group(2)]
    if seconds > MAX_INTERVAL_S:
        raise HTTPException(422, f"interval {text!r} is longer than the maximum of 31d")
    return seconds


def _ms(value: datetime) -> int:
    # A time without zone is taken as UTC, like every timestamp of this API.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def selector(node: Node, window_device: str, field: str) -> Selector:
    """Where the engine's results for ``node`` are stored (see carbon_engine.results).

    Site, area and line results use ``_all`` for the levels they aggregate over and the
    device ``carbon-1m``; a meter's results sit under its parent with ``carbon-1m.<meter>``.
    """
    owner, device = node.path, window_device
    if node.level == "meter" and node.parent is not None:
        owner, device = node.parent, f"{window_device}.{node.name}"
    parts = [*owner.split("/"), topics.ALL, topics.ALL]
    return Selector(MEASUREMENT_CARBON, parts[0], parts[1], parts[2], device, (field,))


def _value(bucket: Bucket, agg: Agg) -> float:
    if agg == "sum":
        return bucket.mean * bucket.count
    if agg == "count":
        return float(bucket.count)
    value: float = getattr(bucket, agg)
    return value


def _check_range(start: int, end: int, interval_s: int, settings: Settings) -> None:
    if end <= start:
        raise HTTPException(422, "end must be after start")
    if end - start > settings.history_max_range_days * 86_400_000:
        raise HTTPException(422, f"time range longer than {settings.history_max_range_days} days")
    points = (end - start) // (interval_s * 1000)
    if points > settings.history_max_points:
        raise HTTPException(
            422,
            f"range/interval gives {points} points, more than {settings.history_max_points}; "
            "choose a longer interval or a shorter range",
        )


@router.get(
    "/history",
    summary="A node's metric over a time range, aggregated per interval",
    responses={503: {"model": Problem, "description": "no store reader, or the store failed"}},
)
async def get_history(
    view: View,
    reader: Reader,
    settings: Settings,
    metrics: Metrics,
    node: Annotated[str, Query(max_length=256, description="node path, e.g. plant1/assembly/line1")],
    metric: Annotated[MetricName, Query(description="an output of the engine")],
    start: Annotated[datetime | None, Query(description="ISO 8601 or epoch; default end - 1 h")] = None,
    end: Annotated[datetime | None, Query(description="ISO 8601 or epoch; default now")] = None,
    interval: Annotated[
        str,
        Query(pattern=INTERVAL_PATTERN, description="bucket length: 30s, 1m, 15m, 1h, 1d (max 31d)"),
    ] = "1m",
    agg: Annotated[Agg | None, Query(description="aggregate; default is the metric's own")] = None,
) -> HistoryOut:
    """Buckets start at ``start`` + k x ``interval`` (``bucket_origin`` in the answer), empty
    ones left out; values from the engine's stored results."""
    found_node = known_node(view, node)
    spec = METRICS[metric.value]
    interval_s = parse_interval(interval)
    end_ms = _ms(end) if end is not None else _ms(datetime.now(UTC))
    start_ms = _ms(start) if start is not None else end_ms - int(timedelta(hours=1).total_seconds() * 1000)
    _check_range(start_ms, end_ms, interval_s, settings)
    chosen: Agg = agg or spec.agg
    sel = selector(found_node, settings.history_device, spec.field)
    try:
        async with asyncio.timeout(settings.history_timeout_s):
            found = await reader.history(sel, start_ms, end_ms, interval_s * 1000, start_ms)
    except TimeoutError:
        metrics.history_errors += 1
        raise HTTPException(
            503, f"the time-series store did not answer in {settings.history_timeout_s} s"
        ) from None
    except StoreError as exc:
        metrics.history_errors += 1
        log.warning("history query failed node=%s metric=%s error=%s", node, metric.value, exc)
        raise HTTPException(503, f"the time-series store did not answer: {exc}") from None
    metrics.history_queries += 1
    buckets = found[0].buckets if found else []
    return HistoryOut(
        node=node,
        metric=metric.value,
        unit=spec.unit,
        agg=chosen,
        interval_s=interval_s,
        start=start_ms,
        end=end_ms,
        bucket_origin=start_ms,
        points=[HistoryPoint(ts=b.ts, value=_value(b, chosen)) for b in buckets],
    )
