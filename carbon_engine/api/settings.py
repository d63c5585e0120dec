"""Settings of the operator API, from the engine's config file and ``ZCF_API_*`` variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Where the API listens and the limits it enforces on clients."""

    model_config = SettingsConfigDict(env_prefix="ZCF_API_", extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    title: str = "Zero-carbon factory operator API"
    # A history query may not ask for more points than this (range / interval).
    history_max_points: int = Field(default=5000, ge=10, le=100_000)
    history_max_range_days: int = Field(default=400, ge=1, le=3660)
    history_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # The device segment under which the engine publishes the windowed results read by /history.
    history_device: str = Field(default="carbon-1m", pattern=r"^[A-Za-z0-9_.\-]+$")
    sse_max_clients: int = Field(default=100, ge=1, le=10_000)
    default_ack_by: str = Field(default="operator", min_length=1, max_length=64)
    # Hashed bearer tokens (see carbon_engine.api.auth): a file written by `zcf token create`
    # and/or entries in ZCF_API_TOKENS. Without any, every route but /health answers 401.
    tokens_file: Path | None = None
    tokens: str = ""
    # Demo only: requests without a token read as viewers; writes still need a token.
    open_read_only: bool = False
    # /docs, the Swagger UI of the API from the app's own files; off: the route does not exist.
    docs: bool = False
    # Bodies longer than this are refused with 413 before they are read (the API takes small JSON).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
