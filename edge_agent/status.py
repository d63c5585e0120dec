"""The agent's ``/health`` and ``/metrics``: devices, outbox depth and age, publishing.

Served by ``iiot_core.status_http`` on ``[agent] http_host:http_port`` (default 127.0.0.1:8082).
``/health`` answers 503 while the broker connection is down or every device is failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from iiot_core.clock import now_ms

if TYPE_CHECKING:
    from edge_agent.agent import Agent


class AgentStatus(Collector):
    """Reads the agent at every scrape; one registry per agent (tests run several)."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def health(self) -> tuple[bool, dict[str, Any]]:
        a = self.agent
        online = sorted(n for n, h in a.health.items() if h.online)
        failing = sorted(n for n, h in a.health.items() if h.online is False)
        connected = a.mqtt is not None and a.mqtt.is_connected
        ok = connected and (bool(online) or not failing)
        return ok, {
            "mqtt_connected": connected,
            "mqtt_last_cause": a.mqtt.last_cause if a.mqtt is not None else None,
            "devices_online": len(online),
            "devices_failing": failing,
            "outbox_messages": a.forwarder.buffered,
            "outbox_oldest_age_s": self._oldest_age_s(),
        }

    def _oldest_age_s(self) -> float:
        oldest = self.agent.forwarder.oldest_ms
        return 0.0 if oldest is None else max(0.0, (now_ms() - oldest) / 1000)

    def collect(self) -> Iterator[Metric]:
        a, s = self.agent, self.agent.forwarder.stats
        states = GaugeMetricFamily("zcf_edge_devices", "devices by state", labels=["state"])
        for state, value in (("online", True), ("failing", False), ("unknown", None)):
            states.add_metric([state], sum(1 for h in a.health.values() if h.online is value))
        yield states
        polls = CounterMetricFamily("zcf_edge_device_polls_total", "polls per device", labels=["device"])
        fails = CounterMetricFamily(
            "zcf_edge_device_failures_total", "failed polls per device", labels=["device"]
        )
        for name, h in sorted(a.health.items()):
            polls.add_metric([name], h.polls)
            fails.add_metric([name], h.failures)
        unknown = CounterMetricFamily(
            "zcf_edge_unrecognised_states_total",
            "state values no state of their point names (published as -1, quality bad)",
            labels=["device"],
        )
        for name, h in sorted(a.health.items()):
            unknown.add_metric([name], h.unrecognised_states)
        yield polls
        yield fails
        yield unknown
        msgs = CounterMetricFamily(
            "zcf_edge_messages_total", "telemetry messages by outcome", labels=["outcome"]
        )
        for outcome, n in (
            ("submitted", s.submitted),
            ("published", s.published),
            ("replayed", s.replayed),
            ("failed", s.failed),
            ("dropped_age", s.dropped_age),
            ("dropped_size", s.dropped_size),
        ):
            msgs.add_metric([outcome], n)
        yield msgs
        left = CounterMetricFamily(
            "zcf_edge_points_left_out",
            "points read but not published (no numeric value, non-finite)",
            labels=["device", "cause"],
        )
        for (device, cause), n in sorted(a.left_out.items()):
            left.add_metric([device, cause], n)
        yield left
        yield GaugeMetricFamily(
            "zcf_edge_outbox_messages", "messages in the on-disk outbox", value=a.forwarder.buffered
        )
        yield GaugeMetricFamily(
            "zcf_edge_outbox_bytes", "bytes counted in the outbox", value=a.forwarder.outbox.bytes
        )
        yield GaugeMetricFamily(
            "zcf_edge_outbox_oldest_age_seconds",
            "age of the oldest message in the outbox",
            value=self._oldest_age_s(),
        )
        connected = a.mqtt is not None and a.mqtt.is_connected
        yield GaugeMetricFamily(
            "zcf_edge_mqtt_connected", "1 while the broker connection is up", value=int(connected)
        )
