"""Dependencies of the routes: what ``create_app`` put on ``app.state``, typed with ``Annotated``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from carbon_engine.accounts.offsets import OffsetLedger
from carbon_engine.api.auth import Authenticator
from carbon_engine.api.metrics import ApiMetrics
from carbon_engine.api.settings import ApiSettings
from carbon_engine.view import EngineView, Node
from iiot_core.store.base import StoreReader


@dataclass(slots=True)
class AppContext:
    """Everything a request may need, built once by ``create_app``."""

    settings: ApiSettings
    view: EngineView
    reader: StoreReader | None
    metrics: ApiMetrics
    auth: Authenticator
    mqtt: Callable[[], dict[str, object]] | None = None  # the broker connection's health, if any
    offsets: OffsetLedger | None = None  # the plant's offsets ledger, when configured
    plant_path: Path | None = None  # the plant file, for period reports (/api/v1/reports)
    store_url: str | None = None  # reports are then built off the event loop, with their own reader


def _context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _view(ctx: Annotated[AppContext, Depends(_context)]) -> EngineView:
    return ctx.view


def _settings(ctx: Annotated[AppContext, Depends(_context)]) -> ApiSettings:
    return ctx.settings


def _metrics(ctx: Annotated[AppContext, Depends(_context)]) -> ApiMetrics:
    return ctx.metrics


def _reader(ctx: Annotated[AppContext, Depends(_context)]) -> StoreReader:
    if ctx.reader is None:
        raise HTTPException(
            503, "history is unavailable: no time-series store reader is configured for the engine"
        )
    return ctx.reader


Context = Annotated[AppContext, Depends(_context)]
View = Annotated[EngineView, Depends(_view)]
Settings = Annotated[ApiSettings, Depends(_settings)]
Metrics = Annotated[ApiMetrics, Depends(_metrics)]
Reader = Annotated[StoreReader, Depends(_reader)]


def known_node(view: EngineView, path: str) -> Node:
    """The node at ``path`` in the asset tree, else a 404 naming some known nodes."""
    nodes = view.tree()
    for node in nodes:
        if node.path == path:
            return node
    paths = [n.path for n in nodes]
    shown = ", ".join(paths[:8]) + (" ..." if len(paths) > 8 else "")
    raise HTTPException(404, f"unknown node {path!r}; known nodes: {shown or '(none yet)'}")
