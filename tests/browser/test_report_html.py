"""The printable report page in Chromium, in English and Chinese: every number it shows is
the report JSON's figure at the element's pointer, rounded as printed."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from carbon_engine.accounts.render.html import render_html
from carbon_engine.accounts.render.tables import resolve
from carbon_engine.accounts.report import build_report
from iiot_core.store import open_reader
from tests.carbon_engine.accounts import report_fixture
from tests.carbon_engine.accounts.report_store import configured_plant, played_store
from tests.carbon_engine.helpers import ms

START_S = ms("2026-11-18T02:00:05Z") // 1000

_SHOWN = """() => [...document.querySelectorAll('[data-ptr]')].map(el => ({
  ptr: el.dataset.ptr, value: el.dataset.value, text: el.innerText,
  unit: el.nextElementSibling?.classList.contains('u') ? el.nextElementSibling.innerText : '',
  visible: el.offsetParent !== null,
}))"""


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return report_fixture.build()


@pytest.fixture(scope="module")
def recomputed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A report built by build_report from a store the example plant (with accounts) ran into."""
    folder = tmp_path_factory.mktemp("store")

    async def build() -> dict[str, Any]:
        store = await played_store(folder, START_S, 2 * 3600)
        reader = open_reader(store.url)
        try:
            return await build_report(configured_plant(folder), reader, "2026-11", as_of_ms=store.end_ms)
        finally:
            await reader.close()

    # Playwright's sync API keeps an event loop running in this thread: build in another one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, build()).result()


@pytest.fixture(params=["built", "recomputed"])
def report(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Both reports: one with every table filled by hand, one as build_report makes it."""
    chosen: dict[str, Any] = request.getfixturevalue(request.param)
    return chosen


def _check_number(report: dict[str, Any], shown: dict[str, Any]) -> None:
    expected = resolve(report, shown["ptr"])
    assert float(shown["value"]) == expected, shown
    text = shown["text"].replace(",", "")
    decimals = len(text.partition(".")[2])
    scaled = expected * 100 if shown["unit"] == "%" else expected
    assert abs(float(text) - scaled) <= 0.5 * 10**-decimals + 1e-9, shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_page_numbers_equal_the_json(
    page: Page, tmp_path: Path, report: dict[str, Any], lang: str
) -> None:
    path = tmp_path / f"report-{lang}.html"
    path.write_text(render_html(report, lang), encoding="utf-8")  # type: ignore[arg-type]
    page.goto(path.as_uri())
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")
    heading = page.get_by_test_id("title").inner_text()
    assert heading.startswith("碳排放与能源信息披露报告" if lang == "zh" else "Carbon and energy disclosure")
    shown = page.evaluate(_SHOWN)
    assert len(shown) > 50
    assert all(s["visible"] for s in shown)
    for s in shown:
        _check_number(report, s)
    ptrs = {s["ptr"] for s in shown}
    assert {
        "/energy/total_tce",
        "/emissions/rows/2/kg",
        "/instruments/hourly_score",
        "/offsets/net/net_t",
    } <= ptrs
    assert page.get_by_test_id("digest").inner_text() == report["digest"]["value"]
    # The page prints: A4, the tables intact.
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
