"""Small reads of the dashboard page shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page

# The lines table's values, without the as-of cells (those tick every second on their own).
_LINE_VALUES = (
    "[...document.querySelectorAll('[data-testid=lines-table] tbody td:not(.asof)')]"
    ".map(td => td.innerText).join('|')"
)


def wait_for_new_line_values(page: Page, timeout_ms: float) -> None:
    """Until the lines table shows other values than now: pushed data arrived."""
    before = page.evaluate(_LINE_VALUES)
    page.wait_for_function(f"before => ({_LINE_VALUES}) !== before", arg=before, timeout=timeout_ms)
