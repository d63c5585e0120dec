"""PUBACK bookkeeping of one MQTT connection: a future per QoS 1 publish, resolved in batches.

The network thread collects PUBACKed mids; the loop resolves their futures in one drain per
hand-over, not one per PUBACK. A PUBACK with a failure reason (MQTT 5: e.g. the ACL said no)
is counted and logged, and its message still counts as handed over.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from iiot_core.errors import PublishError
from iiot_core.mqtt_handover import LoopHandover

log = logging.getLogger("iiot_core.mqtt")


class PubackBook:
    """Futures of published messages awaiting their PUBACK, and the PUBACKs collected for them."""

    def __init__(self, handover: LoopHandover, broker: str) -> None:
        self._handover = handover
        self._broker = broker
        self.lock = threading.Lock()
        # Touched only on the event loop thread: publish() registers a future right after
        # paho assigns the mid, and PUBACKs are resolved by drain() on the same thread,
        # so a PUBACK can never be processed before its future is registered.
        self.pending: dict[int, asyncio.Future[None]] = {}
        # PUBACKed mids collected by the network thread, waiting for the next drain.
        self.acked: list[int] = []
        self._scheduled = False
        self.drains = 0  # how many hand-offs carried the PUBACKs (a batching measure)
        self.refused = 0  # PUBACKs with a failure reason (MQTT 5: e.g. the ACL said no)

    def expect(self, mid: int, fut: asyncio.Future[None]) -> None:
        """Resolve ``fut`` when the PUBACK of ``mid`` is drained (loop thread)."""
        # Even if the PUBACK is already in self.acked, it is only looked at by drain(),
        # which runs on this thread after the caller returns.
        self.pending[mid] = fut

    def on_puback(self, mid: int, rc: Any) -> None:
        """Collect a PUBACK (network thread); schedule a drain unless one is pending already."""
        if rc.is_failure:
            self._refused_publish(rc)
        with self.lock:
            self.acked.append(mid)
            if self._scheduled:
                return  # the pending drain will take this mid too
            self._scheduled = True
        if not self._handover.call(self.drain):
            with self.lock:
                self._scheduled = False

    def _refused_publish(self, rc: Any) -> None:
        # The message counts as handed over (as before): a sender that retried it would retry
        # forever. Said loudly the first time, counted always.
        self.refused += 1
        level = logging.ERROR if self.refused == 1 else logging.DEBUG
        log.log(
            level,
            "MQTT publish refused by the broker broker=%s reason=%s refused=%d (check the ACL)",
            self._broker,
            rc,
            self.refused,
        )

    def drain(self) -> None:
        """Resolve the futures of every PUBACK collected since the last drain (loop thread)."""
        with self.lock:
            mids, self.acked = self.acked, []
            self._scheduled = False
        if not mids:
            return
        self.drains += 1
        pending = self.pending
        for mid in mids:
            # No future: a PUBACK for a message re-sent by paho after a reconnect, whose
            # future already failed; the sender keeps such a message and sends it again.
            fut = pending.pop(mid, None)
            if fut is not None and not fut.done():
                fut.set_result(None)

    def fail_pending(self, why: str) -> None:
        """Fail every future still waiting; PUBACKs that arrived before count as delivered."""
        self.drain()
        pending, self.pending = self.pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(PublishError(why))
