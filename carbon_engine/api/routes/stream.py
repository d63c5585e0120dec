"""Live push: Server-Sent Events carrying live values and alert events from the engine."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.sse import EventSourceResponse, ServerSentEvent

from carbon_engine.api.access import VIEWER
from carbon_engine.api.deps import Context, Metrics, View
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import AUTH_PROBLEMS, AlertOut, DeviceOut, LiveOut, Problem
from carbon_engine.view import EngineEvent, EngineView, LiveValues

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, tags=["live"], dependencies=VIEWER)
RETRY_MS = 3000


async def _slot(ctx: Context) -> AsyncIterator[None]:
    """Reserve a live-client slot before the response starts (a refused client gets a real 503).

    Async, so it runs on the event loop (a sync one would run in worker threads): check and take
    happen with no await between them, so a burst of clients cannot all pass the
    check before any of them is counted; the slot is given back once the response is over
    (a dependency's exit runs after a streaming response ends), also when it never started."""
    m = ctx.metrics
    if m.sse_clients >= ctx.settings.sse_max_clients:
        m.sse_refused += 1
        raise HTTPException(503, f"too many live clients (limit {ctx.settings.sse_max_clients})")
    m.sse_clients += 1
    m.sse_clients_total += 1
    try:
        yield
    finally:
        m.sse_clients -= 1


def _live_payload(values: object) -> list[dict[str, object]]:
    items = values if isinstance(values, list | tuple) else []
    return [LiveOut.model_validate(v).model_dump(mode="json") for v in items if isinstance(v, LiveValues)]


def to_sse(event: EngineEvent) -> ServerSentEvent | None:
    """Encode one engine event; None for a kind the page does not know."""
    if event.kind == "live":
        return ServerSentEvent(event="live", data=_live_payload(event.data))
    if event.kind == "alert":
        return ServerSentEvent(
            event="alert", data=AlertOut.model_validate(event.data).model_dump(mode="json")
        )
    return None


def _alerts_snapshot(view: EngineView) -> ServerSentEvent:
    """Every alert not cleared: on (re)connect the page replaces its list, so nothing missed stays."""
    active = [a for a in view.alerts() if a.state != "cleared"]
    return ServerSentEvent(
        event="alerts", data=[AlertOut.model_validate(a).model_dump(mode="json") for a in active]
    )


class _DeviceTracker:
    """Sends the device list along with live events whenever it changed (no polling page)."""

    def __init__(self, view: EngineView) -> None:
        self.view = view
        self.last: list[dict[str, object]] | None = None

    def changed(self) -> ServerSentEvent | None:
        now = [DeviceOut.model_validate(d).model_dump(mode="json") for d in self.view.devices()]
        if now == self.last:
            return None
        self.last = now
        return ServerSentEvent(event="devices", data=now)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    summary="Live values, alert and device events (text/event-stream)",
    responses={**AUTH_PROBLEMS, 503: {"model": Problem, "description": "too many live clients"}},
)
async def stream(
    view: View, metrics: Metrics, _slot_ok: Annotated[None, Depends(_slot)]
) -> AsyncIterator[ServerSentEvent]:
    """``live`` events carry every node's LiveOut list, ``alert`` one AlertOut, ``devices``
    the DeviceOut list when it changed. The stream opens with a ``live`` snapshot, an ``alerts``
    snapshot (the AlertOut list of every alert not cleared) and a ``devices`` snapshot.
    """
    events = view.events()
    devices = _DeviceTracker(view)
    try:
        yield ServerSentEvent(event="live", data=_live_payload(view.live()), retry=RETRY_MS)
        metrics.events_sent["live"] += 1
        yield _alerts_snapshot(view)
        if (first := devices.changed()) is not None:
            yield first
        async for event in events:
            sse = _encode(event)
            if sse is None:
                continue
            metrics.events_sent[event.kind] += 1
            yield sse
            if event.kind == "live" and (update := devices.changed()) is not None:
                yield update
    finally:
        await _close(events)


def _encode(event: EngineEvent) -> ServerSentEvent | None:
    try:
        return to_sse(event)
    except ValueError:  # an engine object that does not fit the schema: skip it, keep the stream
        log.warning("engine event not encodable kind=%s", event.kind, exc_info=True)
        return None


async def _close(events: AsyncIterator[EngineEvent]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
