"""The asset tree: site, areas, lines."""

from __future__ import annotations

from fastapi import APIRouter

from carbon_engine.api.access import VIEWER
from carbon_engine.api.deps import View
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, NodeOut

router = APIRouter(prefix=API_PREFIX, tags=["assets"], responses=PROBLEMS, dependencies=VIEWER)


@router.get("/tree", summary="The site/area/line tree")
def get_tree(view: View) -> list[NodeOut]:
    """Every node of the asset tree, parents before children."""
    return [NodeOut.model_validate(n) for n in view.tree()]
