"""The one process runner of every role: signals stop the service, faults map to exit codes."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from iiot_core import runner
from iiot_core.errors import ConfigError, StoreError


class _SignalsItself:
    """Sends ``sig`` to its own process once running, then waits to be stopped."""

    def __init__(self, sig: signal.Signals) -> None:
        self.sig = sig
        self.stopped = asyncio.Event()

    async def run(self) -> None:
        os.kill(os.getpid(), self.sig)
        async with asyncio.timeout(5):
            await self.stopped.wait()

    def stop(self) -> None:
        self.stopped.set()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_service_cleanly(sig: signal.Signals) -> None:
    services: list[_SignalsItself] = []

    def build() -> _SignalsItself:
        services.append(_SignalsItself(sig))
        return services[-1]

    assert runner.run("zcf test", build) == 0
    assert services[0].stopped.is_set()


def test_a_bad_config_prints_one_line_per_fault(capsys: pytest.CaptureFixture[str]) -> None:
    def build() -> runner.Service:
        raise ConfigError(["f.toml: a.b: wrong", "f.toml: c: missing key (required)"])

    assert runner.run("zcf test", build) == 2
    assert capsys.readouterr().err.splitlines() == ["f.toml: a.b: wrong", "f.toml: c: missing key (required)"]


def test_refusals_exit_2_and_runtime_failures_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    async def fail(_stop: asyncio.Event) -> None:
        raise StoreError("store at x is unreachable")

    def build() -> runner.Service:
        return runner.UntilStopped(fail)

    assert runner.run("zcf test", build, refusals=(StoreError,)) == 2
    assert capsys.readouterr().err.strip() == "zcf test: store at x is unreachable"
    assert runner.run("zcf test", build) == 1
    assert runner.run("zcf test", lambda: runner.UntilStopped(_raise_os_error), failures=(OSError,)) == 1


async def _raise_os_error(_stop: asyncio.Event) -> None:
    raise OSError("address in use")


def test_the_service_exit_code_is_kept() -> None:
    async def three(_stop: asyncio.Event) -> int:
        return 3

    assert runner.run("zcf test", lambda: runner.UntilStopped(three)) == 3
