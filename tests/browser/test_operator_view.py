"""What the operator reads at a glance, checked against the API: emitting now, the worst line,
complete Chinese, the phone layout, grouped alerts, and /docs without the internet.

One engine and API for the whole module: the feeder can be paused (devices stopped) so that
the page and the API are compared on values that no longer move.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Route, expect

from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from tests.support.api_tokens import api_settings, auth, token
from tests.support.engine_setup import feed_plant, live_feeder, plant_variant
from tests.support.live_server import Feeder, LiveServer, live_server

TIMEOUT_MS = 10_000
STALE_AFTER_S = 4.0
SITE = "plant1"
# Symbols and abbreviations a Chinese page writes in Latin letters, as Chinese standards do.
UNIT_WORDS = {"kW", "kWh", "kgCO", "tCO", "Nm", "GJ", "kg", "UTC", "EN", "zcf"}


class Plant:
    def __init__(self, server: LiveServer, stopped: threading.Event) -> None:
        self.server, self.stopped = server, stopped

    def get(self, path: str, role: Role = Role.viewer) -> Any:
        r = httpx.get(f"{self.server.url}/api/v1/{path}", headers=auth(role), timeout=10)
        r.raise_for_status()
        return r.json()

    def live(self) -> dict[str, dict[str, Any]]:
        return {v["path"]: v for v in self.get("live")}


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory, dashboard_assets: None) -> Iterator[Plant]:
    folder = tmp_path_factory.mktemp("operator")
    plant_file = plant_variant(folder, f"stale_after_s = {STALE_AFTER_S}")
    stopped = threading.Event()

    async def build() -> tuple[FastAPI, Feeder | None]:
        fed = await feed_plant(folder / "store.db", minutes=10, plant_file=plant_file)
        app = create_app(api_settings(docs=True), fed.view, None)
        return app, live_feeder(fed, 0.25, stopped)

    with live_server(build) as server:
        yield Plant(server, stopped)


@pytest.fixture
def errors() -> Iterator[list[str]]:
    """JavaScript errors of the pages a test opened: none allowed."""
    found: list[str] = []
    yield found
    assert not found, f"JavaScript errors on the page: {found}"


def _open(browser: Browser, plant: Plant, role: Role, errors: list[str], **context: Any) -> Page:
    ctx = browser.new_context(**{"viewport": {"width": 1600, "height": 1000}, "locale": "en-GB", **context})
    page = ctx.new_page()
    page.add_init_script(f"sessionStorage.setItem('zcf.token', {token(role)!r})")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{plant.server.url}/", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("now-loc")).not_to_have_text("—", timeout=TIMEOUT_MS)
    return page


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _worst(live: dict[str, dict[str, Any]], lines: list[str]) -> str:
    """The issue's rule, worked independently: highest kgCO2/unit where units exist, else kgCO2e/h."""
    rows = [live[p] for p in lines]
    with_units = [v for v in rows if v["intensity_location_kg_per_unit"] is not None]
    if with_units:
        return max(with_units, key=lambda v: v["intensity_location_kg_per_unit"])["path"]
    return max(rows, key=lambda v: v["emissions_location_kg_per_h"])["path"]


def test_headline_equals_the_api_and_the_worst_line_is_marked(
    browser: Browser, plant: Plant, artifacts: Path, errors: list[str]
) -> None:
    page = _open(browser, plant, Role.viewer, errors)
    expect(page.get_by_test_id("conn")).to_have_text("live", timeout=TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "operator-en.png"), full_page=True)
    tree = {n["path"]: n for n in plant.get("tree")}
    lines = [p for p, n in tree.items() if n["level"] == "line" and n["name"] != "_unassigned"]
    shown = page.locator("[data-testid=line-row]")
    expect(shown).to_have_count(len(lines))
    expect(page.locator("[data-testid=area-row]")).to_have_count(
        sum(n["level"] == "area" for n in tree.values())
    )

    plant.stopped.set()  # devices stop: the values hold still while the page and the API are compared
    try:
        page.wait_for_timeout(1500)  # the last live push
        live = plant.live()
        site = live[SITE]
        for testid, key, scale in (
            ("now-loc", "emissions_location_kg_per_h", 1),
            ("now-mkt", "emissions_market_kg_per_h", 1),
            ("now-today-loc", "emissions_today_location_kg", 1000),
        ):
            value = _number(page.get_by_test_id(testid).inner_text())
            digits = 1 if scale == 1 else 3
            assert value == pytest.approx(site[key] / scale, abs=0.5 * 10**-digits + 1e-9), testid
        assert site["emissions_location_kg_per_h"] > site["emissions_market_kg_per_h"] > 0

        worst = _worst(live, lines)
        marked = page.locator("[data-testid=line-row][data-worst=true]")
        expect(marked).to_have_count(1)
        expect(marked).to_have_attribute("data-path", worst)
        expect(marked.get_by_test_id("worst-tag")).to_be_visible()
        # An undefined value shows a dash and says why; the API has null for it, not 0.
        pv = page.locator(f"[data-testid=line-row][data-path='{SITE}/utilities/pv'] td[data-col=unit]")
        expect(pv).to_have_text("—")
        expect(pv).to_have_attribute("title", re.compile("no units"))
        assert live[f"{SITE}/utilities/pv"]["intensity_location_kg_per_unit"] is None

        # Sorting by kgCO2e/h puts the lines in the API's order.
        page.get_by_test_id("sort-kgh").click()
        order = sorted(lines, key=lambda p: -live[p]["emissions_location_kg_per_h"])
        assert [shown.nth(i).get_attribute("data-path") for i in range(len(lines))] == order

        # A viewer may not acknowledge: "acknowledge all" is refused once, and nothing changes.
        acked = plant.get("alerts?state=acknowledged")
        page.get_by_test_id("ack-all").first.click()
        expect(page.get_by_test_id("banner")).to_contain_text("operator role", timeout=TIMEOUT_MS)
        assert plant.get("alerts?state=acknowledged") == acked

        expect(page.get_by_test_id("conn")).to_have_text("stale", timeout=(STALE_AFTER_S + 3) * 1000)
        page.screenshot(path=str(artifacts / "operator-stale.png"), full_page=True)
    finally:
        plant.stopped.clear()
    expect(page.get_by_test_id("conn")).to_have_text("live", timeout=TIMEOUT_MS)
    page.context.close()


def _latin_words(page: Page) -> set[str]:
    """Latin-letter words of every visible text on the page."""
    texts: list[str] = page.evaluate(
        """() => {
          const out = [];
          const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const el = n.parentElement;
            const shown = el && el.checkVisibility({ visibilityProperty: true });
            if (n.textContent.trim() && shown) out.push(n.textContent);
          }
          for (const o of document.querySelectorAll('option')) out.push(o.textContent);
          return out;
        }"""
    )
    return {w for text in texts for w in re.findall(r"[A-Za-z]{2,}", text)}


def test_chinese_is_complete_and_alerts_are_grouped(
    browser: Browser, plant: Plant, artifacts: Path, errors: list[str]
) -> None:
    # A browser set to Chinese opens the page in Chinese (its Accept-Language, no choice stored).
    page = _open(browser, plant, Role.operator, errors, locale="zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#h-alerts")).to_contain_text("当前告警")
    expect(page.locator("#c-site")).to_contain_text("碳排放强度")
    active = [a for a in plant.get("alerts") if a["state"] != "cleared"]
    by_rule = Counter(a["rule"] for a in active)
    groups = page.get_by_test_id("alert-group")
    expect(groups).to_have_count(len(by_rule), timeout=TIMEOUT_MS)
    for rule, n in by_rule.items():
        count = page.locator(f"[data-testid=alert-group][data-group='{rule}'] [data-testid=group-count]")
        expect(count).to_have_text(str(n))
    expect(groups.first).to_contain_text("UTC+8")  # the site's zone (Asia/Shanghai) with every time

    devices = {d["device"] for d in plant.get("devices")} | {a["node"] for a in active}
    allowed = UNIT_WORDS | {w for name in devices for w in re.findall(r"[A-Za-z]{2,}", name)}
    english = _latin_words(page) - allowed
    assert not english, f"untranslated on the Chinese page: {sorted(english)}"
    page.screenshot(path=str(artifacts / "operator-zh.png"), full_page=True)

    # Acknowledge every alert of the largest group at once.
    rule = by_rule.most_common(1)[0][0]
    group = page.locator(f"[data-testid=alert-group][data-group='{rule}']")
    group.get_by_test_id("ack-all").click()
    expect(group.get_by_test_id("alert-acked")).to_have_count(by_rule[rule], timeout=TIMEOUT_MS)
    acked = {a["id"] for a in plant.get("alerts?state=acknowledged")}
    assert {a["id"] for a in active if a["rule"] == rule} <= acked
    # Grouped by device instead: one group per subject.
    page.get_by_test_id("group-device").click()
    expect(groups).to_have_count(len({a["node"] for a in active}))

    # The switch to English is kept: a reload stays English although the browser prefers Chinese.
    page.get_by_test_id("lang-switch").click()
    page.reload()
    expect(page.locator("#h-alerts")).to_contain_text("Active alerts", timeout=TIMEOUT_MS)
    page.context.close()


def test_phone_shows_headline_alerts_and_worst_line_without_sideways_scroll(
    browser: Browser, plant: Plant, artifacts: Path, errors: list[str]
) -> None:
    page = _open(browser, plant, Role.viewer, errors, viewport={"width": 390, "height": 844}, is_mobile=True)
    expect(page.get_by_test_id("alert-group").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("[data-testid=line-row][data-worst=true] [data-testid=worst-tag]")).to_be_visible()
    overflow = page.evaluate(
        "[document.documentElement.scrollWidth - document.documentElement.clientWidth,"
        " document.body.scrollWidth - document.body.clientWidth]"
    )
    assert overflow[0] <= 0 and overflow[1] <= 0, f"the page scrolls sideways at 390 px: {overflow}"
    for card in ("#c-now", "#c-alerts", "#c-lines"):
        box = page.locator(card).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, card
    page.screenshot(path=str(artifacts / "operator-phone.png"), full_page=True)
    page.context.close()


def test_docs_render_with_every_outside_request_blocked(browser: Browser, plant: Plant) -> None:
    ctx = browser.new_context()
    own = urlsplit(plant.server.url).netloc
    outside: list[str] = []

    def only_own(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_own)
    page = ctx.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{plant.server.url}/docs", timeout=TIMEOUT_MS)
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("operator API", timeout=TIMEOUT_MS)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/live").first).to_be_visible()
    assert outside == [], outside
    assert violations == [], violations
    ctx.close()
