"""Configuration, for the admin role: the API's effective settings and the tokens in force."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from carbon_engine.api.access import require
from carbon_engine.api.auth import Role
from carbon_engine.api.deps import Context
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, ConfigOut, TokenInfoOut

router = APIRouter(
    prefix=API_PREFIX, tags=["admin"], responses=PROBLEMS, dependencies=[Depends(require(Role.admin))]
)


@router.get("/config", summary="Effective API settings and the tokens in force (ids and roles)")
def get_config(ctx: Context) -> ConfigOut:
    """Token entries (hashes) are not shown; token ids and roles are."""
    settings = ctx.settings.model_dump(mode="json", exclude={"tokens"})
    tokens = [
        TokenInfoOut(id=e.id, role=e.role.value, created=e.created) for e in ctx.auth.entries().values()
    ]
    return ConfigOut(settings=settings, tokens=tokens)
