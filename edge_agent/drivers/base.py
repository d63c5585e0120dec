"""The driver seam: what the agent needs from any protocol, and the context drivers share."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from iiot_core.model import Point


class Driver(Protocol):
    """One device. ``read`` returns one poll's points or raises DriverError."""

    async def connect(self) -> None: ...

    async def read(self) -> list[Point]: ...

    async def close(self) -> None: ...

    @property
    def unrecognised_states(self) -> int:
        """State values read that no state of their point names (published as -1, bad)."""
        ...


@dataclass
class DriverContext:
    """What drivers of one agent share: the agent identity and the Modbus buses by endpoint."""

    agent_id: str
    buses: dict[str, object] = field(default_factory=dict)
    # Points read but left out of a message (device, cause): counted for /metrics, so that
    # nothing read is dropped without a trace (the log line is once per point and condition).
    left_out: Counter[tuple[str, str]] = field(default_factory=Counter)


class OnceLogger:
    """Logs a condition once at WARNING, then at DEBUG, then once at INFO when it clears."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._active: set[str] = set()

    def problem(self, key: str, msg: str, *args: object) -> None:
        level = logging.DEBUG if key in self._active else logging.WARNING
        self._active.add(key)
        self._log.log(level, msg, *args)

    def cleared(self, key: str, msg: str, *args: object) -> None:
        if key in self._active:
            self._active.discard(key)
            self._log.info(msg, *args)
