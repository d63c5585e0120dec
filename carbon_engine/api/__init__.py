"""The operator-facing HTTP API and live dashboard of the carbon engine."""

from carbon_engine.api.app import create_app
from carbon_engine.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
