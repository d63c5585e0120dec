"""Run the API under a real uvicorn on a free loopback port, in a thread with its own loop.

A feeder coroutine runs on the same loop as the app, so the engine's event queues and the
SSE routes share one event loop, as they do under ``zcf engine``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from tests.support.servers import free_port

Feeder = Callable[[], Awaitable[None]]
Build = Callable[[], Awaitable[tuple[FastAPI, Feeder | None]]]


@dataclass
class LiveServer:
    """Build the app (and its feeder) inside the server's loop with ``await build()``."""

    build: Build
    port: int = field(default_factory=free_port)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced to the test thread by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        app, feeder = await self.build()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        task = asyncio.create_task(feeder()) if feeder is not None else None
        serve = asyncio.create_task(self._server.serve())
        while not self._server.started and not serve.done():
            await asyncio.sleep(0.02)
        self._ready.set()
        await serve
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(15) or self._error is not None:
            raise RuntimeError(f"API server did not start: {self._error!r}")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            assert not self._thread.is_alive(), "API server thread did not stop"


@contextlib.contextmanager
def live_server(build: Build) -> Iterator[LiveServer]:
    server = LiveServer(build)
    server.start()
    try:
        yield server
    finally:
        server.stop()
