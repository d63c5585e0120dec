"""Offsets: the ledger of retired credits, listed by period and recorded by an operator."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from carbon_engine.accounts.offsets import (
    PERIOD_KEY,
    DuplicateSerial,
    Offset,
    OffsetFileError,
    OffsetLedger,
    OffsetRecord,
)
from carbon_engine.api.access import VIEWER, Operator
from carbon_engine.api.deps import Context
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, Problem

log = logging.getLogger(__name__)

NOT_CONFIGURED = "the offsets ledger is not configured: set [accounts.offsets] file in the plant file"
PERIOD_HELP = "2026, 2026-Q4 or 2026-11: offsets retired against it or a period within it"
router = APIRouter(prefix=API_PREFIX, tags=["offsets"], responses=PROBLEMS)


def _ledger(ctx: Context) -> OffsetLedger | None:
    return ctx.offsets


Ledger = Annotated[OffsetLedger | None, Depends(_ledger)]


def _unreadable(exc: OffsetFileError) -> HTTPException:
    log.error("offsets ledger unreadable error=%s", exc)
    return HTTPException(500, f"the offsets ledger cannot be read: {exc}")


@router.get("/offsets", summary="Retired offsets, optionally of one reporting period", dependencies=VIEWER)
def list_offsets(
    ledger: Ledger,
    period: Annotated[str | None, Query(pattern=PERIOD_KEY, description=PERIOD_HELP)] = None,
) -> list[OffsetRecord]:
    """Offsets in the order they were recorded; [] when no ledger is configured."""
    if ledger is None:
        return []
    try:
        return ledger.load() if period is None else ledger.for_period(period)
    except OffsetFileError as exc:
        raise _unreadable(exc) from exc


@router.post(
    "/offsets",
    status_code=201,
    summary="Record a retired offset (once per serial)",
    responses={409: {"model": Problem, "description": "the serial is already recorded, or no ledger"}},
)
def record_offset(caller: Operator, ledger: Ledger, offset: Offset) -> OffsetRecord:
    """Append the offset to the ledger file (fsynced); 409 when its serial was recorded before."""
    if ledger is None:
        raise HTTPException(409, NOT_CONFIGURED)
    try:
        record = ledger.add(offset, by=caller.id)
    except DuplicateSerial as exc:
        raise HTTPException(409, str(exc)) from exc
    except OffsetFileError as exc:
        raise _unreadable(exc) from exc
    log.info(
        "offset recorded serial=%s tco2e=%s period=%s token_id=%s",
        record.serial,
        record.tco2e,
        record.period,
        caller.id,
    )
    return record
