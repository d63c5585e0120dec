"""The dashboard of a running `zcf demo` in a real browser: every role its own process, as shipped."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import pytest
from playwright.sync_api import Page, expect

from iiot_core import codec, topics
from iiot_core.model import DeviceStatus
from tests.browser.pages import wait_for_new_line_values
from tests.support.demo_process import DemoProcess, running_demo

TIMEOUT_MS = 15_000
AGENT = "edge-test"  # an edge agent the demo does not run, reported offline below


@pytest.fixture
def demo(tmp_path: Path, dashboard_assets: None) -> Iterator[DemoProcess]:
    with running_demo(tmp_path) as d:
        assert d.wait_for_site_power(40).get("power_kw"), "the demo showed no live power"
        yield d


def _operator_token(data_dir: Path) -> str:
    file = str(data_dir / "api-tokens")
    cmd = [sys.executable, "-m", "zcf.cli", "token", "--file", file, "create", "--role", "operator"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


def _report_agent_offline(demo: DemoProcess) -> None:
    """What a real agent's last will does: a retained offline status on the demo's broker."""
    status = DeviceStatus(schema=1, state="offline", ts=int(time.time() * 1000), detail="test")
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="zcf-test-will")
    client.connect("127.0.0.1", demo.mqtt)
    client.loop_start()
    try:
        topic = topics.agent_status("plant1", AGENT)
        client.publish(topic, codec.encode(status), qos=1, retain=True).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.mark.timeout(120)
def test_demo_dashboard_moves_and_takes_an_acknowledgement(
    demo: DemoProcess, page: Page, artifacts: Path, tmp_path: Path
) -> None:
    page.goto(f"{demo.url}/", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("conn")).to_have_text("live", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("kpi-power")).not_to_have_text("—", timeout=TIMEOUT_MS)
    assert float(page.locator("#kpi-power").inner_text().replace(",", "")) > 0

    # The engine process pushes new values through SSE; the page changes without a reload.
    wait_for_new_line_values(page, TIMEOUT_MS)

    # An agent goes offline: the engine raises the alert, the page shows it, the operator acks it.
    _report_agent_offline(demo)
    item = page.locator(f"[data-testid=alert]:has-text('agent:{AGENT}')")
    expect(item.get_by_test_id("ack")).to_be_visible(timeout=TIMEOUT_MS)
    alert_id = item.get_attribute("data-id")
    item.get_by_test_id("ack").click()
    # The demo's API is open read-only: acknowledging asks for an operator token, which the
    # plant IT creates with `zcf token create` in the engine's tokens file (read at once).
    expect(page.get_by_test_id("login")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("login-reason")).to_contain_text("open read-only mode")
    page.get_by_test_id("login-token").fill(_operator_token(tmp_path))  # the demo's --data-dir
    page.get_by_test_id("login-submit").click()
    expect(item.get_by_test_id("alert-acked")).to_be_visible(timeout=TIMEOUT_MS)
    acked = httpx.get(f"{demo.url}/api/v1/alerts", params={"state": "acknowledged"}).json()
    assert alert_id in {a["id"] for a in acked}
    page.screenshot(path=str(artifacts / "dashboard-demo.png"), full_page=True)
    out = demo.interrupt()
    assert demo.proc.returncode == 0, out[-3000:]
