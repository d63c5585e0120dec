"""What the engine works with: emission factors in use and the devices it hears from."""

from __future__ import annotations

from fastapi import APIRouter

from carbon_engine.api.access import VIEWER
from carbon_engine.api.deps import View
from carbon_engine.api.routes import API_PREFIX
from carbon_engine.api.schemas import PROBLEMS, DeviceOut, FactorOut

router = APIRouter(prefix=API_PREFIX, responses=PROBLEMS, dependencies=VIEWER)


@router.get("/factors", tags=["factors"], summary="Emission factors in use")
def get_factors(view: View) -> list[FactorOut]:
    """Each factor with its value, unit, source, validity and version."""
    return [FactorOut.model_validate(f) for f in view.factors()]


@router.get("/devices", tags=["devices"], summary="Device status")
def get_devices(view: View) -> list[DeviceOut]:
    """Online/offline, last seen and worst quality of the last message, per device."""
    return [DeviceOut.model_validate(d) for d in view.devices()]
