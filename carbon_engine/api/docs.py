"""``/docs``: the API's Swagger UI, from the app's own files (no CDN), when ``docs`` is on.

Swagger UI comes from the npm package ``swagger-ui-dist`` through the same build step as the
dashboard's chart library. The page has no inline script (the Content-Security-Policy
allows none): ``static/js/docs.js`` starts the viewer on ``/openapi.json``. Like the
dashboard's files the page holds no plant data; "Try it out" needs a token (Authorize).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from carbon_engine.api.dashboard import BUILD_HINT, STATIC

DOCS_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")

router = APIRouter(include_in_schema=False)


def missing_docs_assets() -> list[str]:
    return [name for name in DOCS_FILES if not (STATIC / "vendor" / name).is_file()]


@router.get("/docs", response_model=None)
def docs_page() -> FileResponse | HTMLResponse:
    missing = missing_docs_assets()
    if missing:
        return HTMLResponse(
            "<!doctype html><html lang='en'><meta charset='utf-8'><title>API docs not built</title>"
            f"<body><h1>API docs assets are missing</h1><p>{', '.join(missing)} not found in "
            f"carbon_engine/api/static/vendor/. Run <code>{BUILD_HINT}</code>.</p>"
            "<p>The OpenAPI document is at <a href='/openapi.json'>/openapi.json</a>.</p></body></html>",
            status_code=503,
        )
    return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})


def mount(app: FastAPI, enabled: bool) -> None:
    """Serve ``/docs`` when enabled (``ZCF_API_DOCS``, ``--api-docs``); otherwise it is a 404."""
    if enabled:
        app.include_router(router)
