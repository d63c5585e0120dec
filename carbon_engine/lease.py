"""Hot standby: which of a site's engines publishes, decided by a retained lease on the broker.

Every engine of the site follows the same stream and computes the same windows; only the
holder of the lease publishes. The holder renews the retained message
``zcf/v1/{site}/_engine/lease`` (``{"holder", "ts", "lease_s"}``) every third of ``lease_s``;
another engine takes the lease when it has heard no renewal for ``lease_s`` (a standby waits
that long after its own start too, an engine started as primary waits only ``GRACE_S`` for a
retained lease to arrive). A clean stop releases the lease, so the standby takes over at once.
If two engines hold it at the same time (a network partition healed), the one with the
greater client id steps down.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)

GRACE_S = 1.0  # time for the retained lease to arrive after subscribing


class Lease:
    """The lease as seen by one engine; time is ``time.monotonic()`` seconds."""

    def __init__(self, me: str, lease_s: float, standby: bool, now: float) -> None:
        self.me = me
        self.lease_s = lease_s
        self.holding = False
        self.other: str | None = None
        self.other_seen = float("-inf")  # when the other holder last renewed, on our clock
        self._renewed = float("-inf")
        self._wait_until = now + (lease_s if standby else GRACE_S)

    def heard(self, payload: bytes, now: float, wall_ms: int) -> None:
        """A lease message (retained ones arrive at subscribe, with their original ``ts``)."""
        try:
            data = json.loads(payload) if payload else {}
            holder = str(data.get("holder", "")) if isinstance(data, dict) else ""
            age_s = max(0.0, (wall_ms - int(data.get("ts", wall_ms))) / 1000) if holder else 0.0
            released = bool(data.get("released", False)) if holder else True
        except (ValueError, TypeError, AttributeError):
            log.warning("engine lease message not understood payload=%r", payload[:200])
            return
        if holder == self.me:
            return
        self.other = holder or None
        self.other_seen = float("-inf") if released else now - age_s
        if self.holding and not released and holder < self.me:
            log.warning("engine lease also held by %s; stepping down client_id=%s", holder, self.me)
            self.holding = False

    def should_hold(self, now: float) -> bool:
        """Whether this engine publishes now (claims a free or expired lease)."""
        if not self.holding and now >= self._wait_until and now - self.other_seen > self.lease_s:
            log.warning(
                "taking the engine lease client_id=%s previous=%s silent_s=%.1f",
                self.me,
                self.other,
                min(now - self.other_seen, 1e9),
            )
            self.holding = True
            self._renewed = float("-inf")
        return self.holding

    def renewal(self, now: float, wall_ms: int) -> bytes | None:
        """The lease message to publish now, if a renewal is due."""
        if not self.holding or now - self._renewed < self.lease_s / 3:
            return None
        self._renewed = now
        return self.payload(wall_ms)

    def payload(self, wall_ms: int, released: bool = False) -> bytes:
        body: dict[str, object] = {"holder": self.me, "ts": wall_ms, "lease_s": self.lease_s}
        if released:
            body["released"] = True
        return json.dumps(body).encode()
