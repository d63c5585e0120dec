"""Hand-over from paho's network thread to the event loop, in batches.

Messages and connect events are queued by the network thread and run on the loop in
arrival order; one ``call_soon_threadsafe`` (a write to the loop's self-pipe, and a
wake-up) carries everything queued since the last drain, not one per message. At
thousands of messages a second that hand-over was an eighth of the network thread's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("iiot_core.mqtt")


class LoopHandover:
    """Calls queued by the network thread, run on the event loop (``loop`` is set by start)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        # Messages and connect events for the loop, in arrival order (see deliver).
        self._inbox: list[tuple[Callable[[Any], None], Any]] = []
        self._scheduled = False
        self.drains = 0  # how many hand-offs carried the messages (a batching measure)

    def call(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Schedule ``fn(*args)`` on the loop; False if there is no loop (any more)."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            # The loop may close between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(fn, *args)
                return True
        return False

    def deliver(self, fn: Callable[[Any], None], arg: Any) -> None:
        """Queue ``fn(arg)`` for the loop; schedule a drain unless one is pending already."""
        with self._lock:
            self._inbox.append((fn, arg))
            if self._scheduled:
                return  # the pending drain takes this one too
            self._scheduled = True
        if not self.call(self._drain):
            with self._lock:
                self._scheduled = False

    def deliver_in_run(self, fn: Callable[[list[Any]], None], item: Any) -> None:
        """Queue ``item`` for ``fn``, in one call with the items queued right before it for ``fn``."""
        with self._lock:
            if self._inbox and self._inbox[-1][0] is fn:
                self._inbox[-1][1].append(item)  # one call for a run of messages
                return  # the drain that takes this run is scheduled already
        self.deliver(fn, [item])

    def _drain(self) -> None:
        """Run everything delivered since the last drain, in order (loop thread)."""
        with self._lock:
            items, self._inbox = self._inbox, []
            self._scheduled = False
        self.drains += 1
        for fn, arg in items:
            try:
                fn(arg)
            except Exception:
                # As the loop would for a callback of its own: one failure must not drop the rest.
                log.exception("MQTT message handler failed")
