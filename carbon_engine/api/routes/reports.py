"""The disclosure report of a period: ``GET /api/v1/reports/{period}`` as JSON, HTML or CSV (zip).

Built by ``carbon_engine.accounts.report`` from the engine's store reader: the period's raw
telemetry replayed through the engine's code, beside the stored live results. A report is
kept for ``CACHE_S`` seconds (a closed period's figures do not change; a running one's move
on at the next build). ``/dashboard/report.css`` is the printable page's style sheet, for the
dashboard's report page (the Content-Security-Policy forbids the page's inline copy there).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path as PathLike
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from carbon_engine.accounts.render.csv_out import csv_zip
from carbon_engine.accounts.render.html import render_html, stylesheet
from carbon_engine.api.access import VIEWER
from carbon_engine.api.deps import Context, Reader
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, Problem
from iiot_core.errors import ConfigError, StoreError
from iiot_core.store.base import StoreReader

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, tags=["reports"], responses=PROBLEMS, dependencies=VIEWER)
assets = APIRouter(include_in_schema=False)

CACHE_S = 60.0
_BUILD_TIMEOUT_S = 600.0


@dataclass
class ReportCache:
    """Reports built lately, by period key; one build per key at a time."""

    built: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


def _cache(request: Request) -> ReportCache:
    state = request.app.state
    if not hasattr(state, "report_cache"):
        state.report_cache = ReportCache()
    cache: ReportCache = state.report_cache
    return cache


async def _build(plant_path: PathLike, url: str | None, reader: StoreReader, period: str) -> dict[str, Any]:
    """The report; with a store URL in a worker thread with its own reader and event loop, so that
    the replay's computing does not hold up the engine, which shares this loop."""
    from carbon_engine.accounts.report import build_report

    if url is None:
        return await build_report(plant_path, reader, period, source=reader.description)

    async def apart() -> dict[str, Any]:
        from iiot_core.store.registry import open_reader  # as the engine opens its reader: lazily

        own = open_reader(url)
        try:
            return await build_report(plant_path, own, period, source=reader.description)
        finally:
            await own.close()

    return await asyncio.to_thread(asyncio.run, apart())


async def _report(ctx: Context, reader: Reader, cache: ReportCache, period: str) -> dict[str, Any]:
    if ctx.plant_path is None:
        raise HTTPException(503, "reports are unavailable: the API was started without the plant file")
    lock = cache.locks.setdefault(period, asyncio.Lock())
    async with lock:
        hit = cache.built.get(period)
        if hit is not None and time.monotonic() - hit[0] < CACHE_S:
            return hit[1]
        try:
            async with asyncio.timeout(_BUILD_TIMEOUT_S):
                report = await _build(ctx.plant_path, ctx.store_url, reader, period)
        except ValueError as exc:  # a period key the calendar refuses (PeriodError)
            raise HTTPException(422, str(exc)) from None
        except ConfigError as exc:
            raise HTTPException(503, "the plant file is refused: " + "; ".join(exc.problems)) from None
        except (StoreError, TimeoutError) as exc:
            log.warning("report failed period=%s error=%s", period, exc)
            raise HTTPException(503, f"the time-series store did not answer: {exc}") from None
        cache.built[period] = (time.monotonic(), report)
        return report


@router.get(
    "/reports/{period}",
    summary="The disclosure report of a period (JSON, printable HTML, or CSV tables in a zip)",
    response_model=None,
    responses={
        200: {"content": {"text/html": {}, "application/zip": {}}, "description": "the report"},
        503: {"model": Problem, "description": "no store reader or plant file, or the store failed"},
    },
)
async def get_report(
    request: Request,
    ctx: Context,
    reader: Reader,
    period: Annotated[
        str,
        Path(
            max_length=16,
            description="2026-11, 2026-Q4, 2026, or month / quarter / year: the running one, to date",
        ),
    ],
    format: Annotated[
        Literal["json", "html", "csv"], Query(description="json (default), html or csv")
    ] = "json",
    lang: Annotated[Literal["en", "zh"], Query(description="language of the HTML page")] = "en",
) -> Response:
    """Figures recomputed from stored telemetry, the live ones beside them, and the digest."""
    report = await _report(ctx, reader, _cache(request), period)
    name = f"report-{report['report']['id']}"
    if format == "html":
        return Response(render_html(report, lang), media_type="text/html; charset=utf-8")
    if format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{name}.zip"'}
        return Response(csv_zip(report), media_type="application/zip", headers=headers)
    return JSONResponse(report)


@assets.get("/dashboard/report.css")
def report_css() -> Response:
    return Response(stylesheet(), media_type="text/css", headers={"Cache-Control": "no-cache"})
