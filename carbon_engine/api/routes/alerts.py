"""Alerts: list with filters, acknowledge."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query

from carbon_engine.api.access import VIEWER, Operator
from carbon_engine.api.deps import Metrics, Settings, View
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, AckIn, AlertOut
from carbon_engine.view import AlertState, Severity

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, tags=["alerts"], responses=PROBLEMS)


@router.get(
    "/alerts", summary="Alerts, newest first, filtered by state, severity and node", dependencies=VIEWER
)
def list_alerts(
    view: View,
    state: Annotated[AlertState | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
    node: Annotated[str | None, Query(max_length=256, description="node path")] = None,
) -> list[AlertOut]:
    """Alerts known to the engine (raised, acknowledged and recently cleared)."""
    found = view.alerts(state=state, severity=severity, node=node)
    found = sorted(found, key=lambda a: a.raised_ts, reverse=True)
    return [AlertOut.model_validate(a) for a in found]


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an alert")
def ack_alert(
    caller: Operator,
    view: View,
    settings: Settings,
    metrics: Metrics,
    alert_id: Annotated[str, Path(min_length=1, max_length=200)],
    body: Annotated[AckIn | None, Body()] = None,
) -> AlertOut:
    """Mark an alert acknowledged by an operator; acknowledging twice keeps the first."""
    by = body.by if body is not None and body.by else settings.default_ack_by
    acked = view.ack_alert(alert_id, by)
    if acked is None:
        raise HTTPException(404, f"unknown alert {alert_id!r}")
    metrics.acks += 1
    log.info("alert acknowledged id=%s by=%s token_id=%s", alert_id, by, caller.id)
    return AlertOut.model_validate(acked)
