"""Operations endpoints outside the versioned API: health and Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

import iiot_core
from carbon_engine.api.access import VIEWER
from carbon_engine.api.deps import Context
from carbon_engine.api.schemas import AUTH_PROBLEMS, HealthOut
from iiot_core.errors import StoreError
from iiot_core.masking import mask
from iiot_core.store.base import StoreReader

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])
STORE_CHECK_S = 2.0
# Refusals are JSON Problems even on this text route.
_JSON_PROBLEM = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_JSON_AUTH_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {**spec, "content": _JSON_PROBLEM} for code, spec in AUTH_PROBLEMS.items()
}
StoreState = Literal["ok", "unavailable", "not_configured"]


async def _store_state(reader: StoreReader | None) -> StoreState:
    if reader is None:
        return "not_configured"
    try:
        async with asyncio.timeout(STORE_CHECK_S):
            await reader.check()
    except (StoreError, TimeoutError) as exc:
        log.warning("store check failed store=%s error=%s", reader.description, exc)
        return "unavailable"
    return "ok"


@router.get("/health", summary="Liveness and what the API can reach")
async def health(ctx: Context) -> HealthOut:
    """``ok`` when the engine answers and history can be served, else ``degraded``."""
    ctx.view.tree()  # raises (-> 500 logged) only if the engine itself is broken
    store = await _store_state(ctx.reader)
    link = ctx.mqtt() if ctx.mqtt is not None else {}
    connected = link.get("mqtt_connected")
    cause = link.get("mqtt_last_cause")
    return HealthOut(
        status="degraded" if store == "unavailable" or connected is False else "ok",
        version=iiot_core.__version__,
        uptime_s=round(time.monotonic() - ctx.metrics.started, 3),
        store=store,
        live_clients=ctx.metrics.sse_clients,
        mqtt_connected=connected if isinstance(connected, bool) else None,
        mqtt_last_cause=mask(cause) if isinstance(cause, str) else None,
    )


@router.get(
    "/metrics",
    dependencies=VIEWER,
    response_class=PlainTextResponse,
    summary="Prometheus metrics (text format)",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **_JSON_AUTH_PROBLEMS},
)
def metrics(ctx: Context) -> str:
    """The engine's own figures (points, results, watermark lag, alerts, site power and intensity),
    request counts, live clients and engine events relayed."""
    return mask(ctx.metrics.render())
