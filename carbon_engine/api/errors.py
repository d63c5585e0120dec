"""Error answers: every 4xx says what is wrong in ``detail``; nothing a client sends gives a 500."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from carbon_engine.api.guard import SECURITY_HEADERS
from carbon_engine.api.schemas import FieldProblem, Problem

log = logging.getLogger(__name__)


def _where(loc: tuple[int | str, ...] | list[int | str]) -> str:
    return ".".join(str(p) for p in loc) or "request"


def _problem(status: int, problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(), status_code=status, headers=headers)


def _field(error: Mapping[str, object]) -> FieldProblem:
    loc = error.get("loc", ())
    loc = tuple(loc) if isinstance(loc, tuple | list) else ()
    if error.get("type") == "json_invalid":
        # pydantic puts the character offset where a field name would be: say what it means.
        ctx = error.get("ctx")
        why = ctx.get("error", "") if isinstance(ctx, Mapping) else ""
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        return FieldProblem(where="body", problem=f"not valid JSON{at}: {why}".rstrip(": "))
    return FieldProblem(where=_where(loc), problem=str(error.get("msg", "invalid")))


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [_field(e) for e in exc.errors()]
    summary = "; ".join(f"{f.where}: {f.problem}" for f in fields[:5]) or "invalid request"
    return _problem(422, Problem(detail=summary, errors=fields))


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _problem(exc.status_code, Problem(detail=str(exc.detail)), exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error path=%s", request.url.path, exc_info=exc)
    # Answered by Starlette's outermost middleware, outside Guard: add its headers here.
    headers = {k.decode(): v.decode() for k, v in SECURITY_HEADERS}
    problem = Problem(detail=f"internal error ({type(exc).__name__}); see the engine log")
    return _problem(500, problem, headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a ``Problem`` body."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
