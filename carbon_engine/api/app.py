"""Build the operator API: ``create_app(settings, view, reader)``; nothing starts at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

import iiot_core
from carbon_engine.accounts.offsets import OffsetLedger
from carbon_engine.api import dashboard, docs, errors
from carbon_engine.api.auth import Authenticator
from carbon_engine.api.deps import AppContext
from carbon_engine.api.guard import Guard
from carbon_engine.api.metrics import ApiMetrics, EngineCollector, RequestCounter
from carbon_engine.api.routes import (
    admin,
    alerts,
    catalog,
    history,
    live,
    offsets,
    ops,
    reports,
    stream,
    tree,
)
from carbon_engine.api.settings import ApiSettings
from carbon_engine.view import EngineView
from iiot_core.store.base import StoreReader

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Live carbon accounting of the plant: asset tree, live values, history, alerts, emission "
    "factors and device status. Live push: `GET /api/v1/stream` (Server-Sent Events). "
    "Times are integer milliseconds since the epoch, UTC; emissions in kgCO2."
)


def create_app(
    settings: ApiSettings,
    view: EngineView,
    reader: StoreReader | None = None,
    mqtt: Callable[[], dict[str, object]] | None = None,
    *,
    offsets_ledger: OffsetLedger | None = None,
    plant_path: Path | None = None,
    store_url: str | None = None,
) -> FastAPI:
    """The FastAPI app over an engine view, an optional store reader (history needs it), the
    engine's broker connection (``MqttConnection.health``, shown in /health), the plant's offsets
    ledger (``/api/v1/offsets``) and the plant file (``/api/v1/reports``; with ``store_url`` a
    report is built in a worker thread with a reader of its own)."""
    auth = Authenticator.load(settings.tokens, settings.tokens_file)
    ctx = AppContext(
        settings=settings,
        view=view,
        reader=reader,
        metrics=ApiMetrics(),
        auth=auth,
        mqtt=mqtt,
        offsets=offsets_ledger,
        plant_path=plant_path,
        store_url=store_url,
    )
    ctx.metrics.registry.register(EngineCollector(view))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("operator API ready history=%s", "on" if reader is not None else "off")
        _log_access_mode(settings, auth)
        missing = dashboard.missing_assets() + (docs.missing_docs_assets() if settings.docs else [])
        if missing:
            log.warning("dashboard assets missing files=%s run=%r", missing, dashboard.BUILD_HINT)
        yield
        log.info("operator API stopped")

    app = FastAPI(
        title=settings.title,
        version=iiot_core.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc pages load their scripts from a CDN, which the
        # Content-Security-Policy forbids (and a plant network may not reach): docs.py serves
        # /docs from the app's files instead, when enabled.
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    errors.install(app)
    for module in (tree, live, history, alerts, catalog, stream, admin, offsets, reports):
        app.include_router(module.router)
    app.include_router(reports.assets)
    app.include_router(ops.router)
    dashboard.mount(app)
    docs.mount(app, settings.docs)
    app.add_middleware(RequestCounter, metrics=ctx.metrics)
    app.add_middleware(Guard, max_body=settings.max_body_bytes)
    return app


def _log_access_mode(settings: ApiSettings, auth: Authenticator) -> None:
    tokens = len(auth.entries())
    where = settings.tokens_file or "(none)"
    if settings.open_read_only:
        banner = "*" * 72
        log.warning(banner)
        log.warning("OPEN READ-ONLY MODE (demo only): anyone who reaches this port reads every API route")
        log.warning("without a token; acknowledging alerts still needs a token. Never run a plant like this.")
        log.warning(banner)
    elif tokens == 0:
        log.warning(
            "no API tokens: every route but /health answers 401; create one with "
            "`zcf token --file FILE create --role viewer` (FILE: the engine's --tokens-file) tokens_file=%s",
            where,
        )
    log.info("API access tokens=%d tokens_file=%s open_read_only=%s", tokens, where, settings.open_read_only)
