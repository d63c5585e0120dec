"""The engine's live events (alerts, live values) fanned out to API clients' queues.

Each ``/api/v1/stream`` client holds a bounded queue on its own event loop; the engine
pushes from whatever thread it runs on. A slow client loses events, never the engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from carbon_engine.view import EngineEvent

EVENT_QUEUE = 256


class EventHub:
    """The subscribers of live events; ``dropped`` counts events a full queue refused."""

    def __init__(self) -> None:
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[EngineEvent]]] = set()
        self.dropped = 0

    @property
    def watched(self) -> bool:
        """Whether any client listens (live values are assembled only then)."""
        return bool(self._subscribers)

    async def events(self) -> AsyncIterator[EngineEvent]:
        """Every event pushed from now on, until the caller stops iterating."""
        q: asyncio.Queue[EngineEvent] = asyncio.Queue(EVENT_QUEUE)
        sub = (asyncio.get_running_loop(), q)
        self._subscribers.add(sub)
        try:
            while True:
                yield await q.get()
        finally:
            self._subscribers.discard(sub)

    def push(self, ev: EngineEvent) -> None:
        """Offer ``ev`` to every subscriber, on its own loop (from any thread)."""
        for loop, q in list(self._subscribers):
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                self._offer(q, ev)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(self._offer, q, ev)

    def _offer(self, q: asyncio.Queue[EngineEvent], ev: EngineEvent) -> None:
        try:
            q.put_nowait(ev)
        except asyncio.QueueFull:
            self.dropped += 1  # a slow client loses events, never the engine
