"""Run one role's service as a process: logging once, SIGINT/SIGTERM -> stop, exit codes.

Exit codes, the same for every ``zcf`` command:

- 0: a clean stop (a signal, or the service returned on its own);
- 2: refused at start-up: a ConfigError (one line per fault on stderr), or one of the
  exceptions the role names as a refusal (printed as ``prog: message``);
- 1: a ZcfError while running (logged);
- any other code the service's ``run()`` returns (the demo's "a role died").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Protocol

from iiot_core import logs
from iiot_core.errors import ConfigError, ZcfError
from iiot_core.masking import mask

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


class Service(Protocol):
    """What the runner drives: ``run()`` until ``stop()`` is called (from a signal handler)."""

    def run(self) -> Awaitable[int | None]: ...

    def stop(self) -> None: ...


class UntilStopped:
    """A service made of a coroutine function that runs until the event it is given is set."""

    def __init__(self, main: Callable[[asyncio.Event], Awaitable[int | None]]) -> None:
        self._main = main
        self._stop = asyncio.Event()

    def run(self) -> Awaitable[int | None]:
        return self._main(self._stop)

    def stop(self) -> None:
        self._stop.set()


def print_problems(exc: ConfigError) -> int:
    """Print one line per fault on stderr; return the exit code of a refused config."""
    for line in exc.problems:
        print(line, file=sys.stderr)
    return EXIT_REFUSED


def run(
    prog: str,
    build: Callable[[], Service],
    *,
    log_level: str | None = None,
    refusals: tuple[type[Exception], ...] = (),
    failures: tuple[type[Exception], ...] = (),
) -> int:
    """Set up logging, build the service in the event loop and run it until SIGINT/SIGTERM.

    ``build`` may raise ConfigError (or one of ``refusals``): the process then exits with 2.
    A ZcfError (or one of ``failures``) while running is logged and exits with 1.
    """
    failing: tuple[type[Exception], ...] = (ZcfError, *failures)
    try:
        logs.setup(log_level)
        return asyncio.run(_serve(build)) or EXIT_OK
    except ConfigError as exc:
        return print_problems(exc)
    except refusals as exc:
        print(mask(f"{prog}: {exc}"), file=sys.stderr)
        return EXIT_REFUSED
    except failing as exc:
        log.error("%s failed: %s", prog, exc)
        return EXIT_FAILED


async def _serve(build: Callable[[], Service]) -> int | None:
    service = build()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' loop
            loop.add_signal_handler(sig, service.stop)
    return await service.run()
