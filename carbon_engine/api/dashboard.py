"""The dashboard: static HTML/CSS/JS modules plus the chart library built into ``static/vendor``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
VENDOR_FILES = ("uPlot.esm.js", "uPlot.min.css")
BUILD_HINT = "bash carbon_engine/api/build_assets.sh"

router = APIRouter(include_in_schema=False)


def missing_assets(static: Path | None = None) -> list[str]:
    """Vendor files the build step should have produced but did not."""
    vendor = (static or STATIC) / "vendor"
    return [name for name in VENDOR_FILES if not (vendor / name).is_file()]


def _missing_page(missing: list[str]) -> str:
    names = ", ".join(missing)
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>Dashboard not built</title>"
        # No inline style: the Content-Security-Policy (guard.py) allows only the app's own files.
        "<link rel='stylesheet' href='/static/dashboard.css'><body class='banner'>"
        "<h1>Dashboard assets are missing</h1>"
        f"<p>The chart library files ({names}) were not found in "
        "<code>carbon_engine/api/static/vendor/</code>. The build step has not been run.</p>"
        f"<p>Run <code>{BUILD_HINT}</code> (or <code>make venv</code>) and reload this page.</p>"
        "<p>The HTTP API still works: see <a href='/openapi.json'>/openapi.json</a>.</p></body></html>"
    )


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=307)


@router.get("/dashboard/", response_model=None)
def index() -> FileResponse | HTMLResponse:
    missing = missing_assets()
    if missing:
        return HTMLResponse(_missing_page(missing), status_code=503)
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def mount(app: FastAPI) -> None:
    """Serve the dashboard page at ``/dashboard/`` and its files under ``/static``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
