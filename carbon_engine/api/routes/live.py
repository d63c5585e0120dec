"""Current values of every node."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from carbon_engine.api.access import VIEWER
from carbon_engine.api.deps import View, known_node
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, LiveOut

router = APIRouter(prefix=API_PREFIX, tags=["live"], responses=PROBLEMS, dependencies=VIEWER)

NodeFilter = Annotated[
    str | None, Query(description="one node path, e.g. plant1/assembly/line1", max_length=256)
]


@router.get("/live", summary="Current values for every node")
def get_live(view: View, node: NodeFilter = None) -> list[LiveOut]:
    """Power, carbon intensity, renewable share and today's totals by scope, per node."""
    values = view.live()
    if node is not None:
        known_node(view, node)
        values = [v for v in values if v.path == node]
    return [LiveOut.model_validate(v) for v in values]
