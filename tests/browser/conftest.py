"""Browser tests: Debian's Chromium driven by Playwright, never a downloaded browser."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from carbon_engine.api import dashboard

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def dashboard_assets() -> None:
    """The chart library in static/vendor: built now (npm ci from the lock file) if missing."""
    if dashboard.missing_assets():
        subprocess.run(["bash", str(ROOT / dashboard.BUILD_HINT.split()[-1])], check=True, timeout=180)
    assert not dashboard.missing_assets(), f"run {dashboard.BUILD_HINT}"


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break the asyncio tests collected after this folder.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian chromium missing: make test installs it (.ci/install-servers)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A control-room sized page; the test fails if the page threw a JavaScript error."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
