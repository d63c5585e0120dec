"""Exception tree shared by every service.

ZcfError
├── ConfigError      a config file or setting is invalid (names file, key, problem)
├── WireError        a message does not match the wire schema (carries a short cause)
├── DriverError      a device could not be read (wraps the protocol library's error)
├── PublishError     the broker did not accept a message
└── StoreError       the time-series store refused or could not be reached
"""

from __future__ import annotations

from iiot_core.masking import mask


class ZcfError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(ZcfError):
    """Invalid configuration; ``problems`` lists one line per fault, each naming file and key."""

    def __init__(self, problems: list[str]) -> None:
        # Every config fault passes here: no line may carry a secret (see iiot_core.masking).
        self.problems = [mask(p) for p in problems]
        super().__init__("\n".join(self.problems))


class WireError(ZcfError):
    """A payload that is not a valid message; ``cause`` is a short, stable label for counting."""

    def __init__(self, cause: str, detail: str = "") -> None:
        self.cause = cause
        self.detail = detail
        super().__init__(f"{cause}: {detail}" if detail else cause)


class DriverError(ZcfError):
    """A device read, connect or decode failed."""


class PublishError(ZcfError):
    """A message could not be handed to the broker."""


class StoreError(ZcfError):
    """A time-series store write or query failed."""
