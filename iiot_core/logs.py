"""Logging set-up, called once by each entry point."""

from __future__ import annotations

import logging
import os


def setup(level: str | None = None) -> None:
    """Configure root logging (``ZCF_LOG_LEVEL`` overrides the default INFO)."""
    chosen = (level or os.environ.get("ZCF_LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(
        level=chosen,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    for noisy in ("asyncua", "pymodbus", "amqtt", "transitions", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
