"""Per-device health: the failure log policy, backoff, and the status messages it implies."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from iiot_core.clock import now_ms
from iiot_core.model import SCHEMA_VERSION, DeviceStatus

log = logging.getLogger("edge_agent.devices")


class Backoff:
    """Capped exponential backoff with jitter: base * 2**n, capped, times a factor in [0.5, 1]."""

    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.base_s * 2 ** min(self.failures, 30))
        self.failures += 1
        return delay * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class DeviceHealth:
    """What the agent knows about one device; drives logging and the retained status."""

    name: str
    online: bool | None = None  # None until the first poll settles it
    last_seen: int = 0
    polls: int = 0
    failures: int = 0
    last_error: str = ""
    unrecognised_states: int = 0  # the driver's count, taken after every poll

    def failed(self, error: str) -> bool:
        """Record a failure; log it once as ERROR, then at DEBUG. True if the state changed."""
        self.failures += 1
        self.last_error = error
        changed = self.online is not False
        if changed:
            log.error("device failing device=%s error=%s", self.name, error)
        else:
            log.debug("device still failing device=%s error=%s", self.name, error)
        self.online = False
        return changed

    def succeeded(self) -> bool:
        """Record a good poll; log the recovery once as INFO. True if the state changed."""
        self.polls += 1
        self.last_seen = now_ms()
        changed = self.online is not True
        if self.online is False:
            log.info("device recovered device=%s after %d failed attempts", self.name, self.failures)
        self.online = True
        self.failures = 0
        return changed

    def status(self) -> DeviceStatus:
        """The status the last poll implies: online, or offline with the last error."""
        state = "online" if self.online else "offline"
        why = "" if self.online else self.last_error
        return DeviceStatus(SCHEMA_VERSION, state, now_ms(), why[:200], self.last_seen)

    def stopped(self) -> DeviceStatus:
        """The status once the agent stops: nobody reads the device any more, so offline."""
        return DeviceStatus(SCHEMA_VERSION, "offline", now_ms(), "agent stopped", self.last_seen)
