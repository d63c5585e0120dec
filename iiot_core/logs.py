"""Logging set-up, called once by each entry point."""

from __future__ import annotations

import logging

from iiot_core.masking import MaskingFormatter, remember_env
from iiot_core.settings import CoreEnv, from_env


def setup(level: str | None = None) -> None:
    """Configure root logging: ``level`` (a command line's), else ``ZCF_LOG_LEVEL``, else INFO.

    Raises ConfigError naming the flag or variable when the level is not one of logging's.
    Every record goes through ``iiot_core.masking.mask``: no log line shows a secret.
    """
    remember_env()  # secrets of ZCF_* variables: masked in every message from now on
    chosen = from_env(CoreEnv, {"log_level": "--log-level"}, log_level=level).log_level or "INFO"
    logging.basicConfig(level=chosen)
    formatter = MaskingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    for noisy in ("asyncua", "pymodbus", "amqtt", "transitions", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
