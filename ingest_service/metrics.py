"""Counters of one ingest process and their Prometheus text exposition."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from iiot_core import prometheus

# Upper bounds (s) of the write-latency histogram.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """Plain counters, updated on the event loop only (no locks needed)."""

    messages_in: int = 0
    messages_stored: int = 0
    points_written: int = 0
    batches_written: int = 0
    write_retries: int = 0  # failed write attempts (store down or unreachable), each retried
    deadletters: Counter[str] = field(default_factory=Counter)
    queue_messages: int = 0
    queue_points: int = 0
    last_write_unix: float = 0.0
    write_seconds_sum: float = 0.0
    latency_counts: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    store_ok: bool = True
    # Asked at every scrape, not a flag set on connect: a dropped broker shows at once.
    mqtt_connected: Callable[[], bool] = lambda: False
    started_unix: float = field(default_factory=time.time)

    def observe_write(self, seconds: float, points: int, messages: int) -> None:
        """Record one successful batch write."""
        self.batches_written += 1
        self.points_written += points
        self.messages_stored += messages
        self.write_seconds_sum += seconds
        self.last_write_unix = time.time()
        self.store_ok = True
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.latency_counts[i] += 1
                break

    def render(self) -> str:
        """Prometheus text format 0.0.4."""
        out: list[str] = []

        def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
            prometheus.family(out, f"zcf_ingest_{name}", kind, help_, samples)

        metric("messages_total", "counter", "MQTT messages received", [("", self.messages_in)])
        metric("messages_stored_total", "counter", "Messages written and acked", [("", self.messages_stored)])
        metric("points_written_total", "counter", "Points written to the store", [("", self.points_written)])
        metric("batches_written_total", "counter", "Batches written", [("", self.batches_written)])
        metric(
            "write_retries_total",
            "counter",
            "Failed batch writes that were retried",
            [("", self.write_retries)],
        )
        dl = [(prometheus.labels(cause=c), float(n)) for c, n in sorted(self.deadletters.items())]
        metric("deadletters_total", "counter", "Invalid messages dead-lettered, by cause", dl)
        metric("queue_messages", "gauge", "Messages received, not yet written", [("", self.queue_messages)])
        metric("queue_points", "gauge", "Points received, not yet written", [("", self.queue_points)])
        metric(
            "last_write_timestamp_seconds",
            "gauge",
            "Unix time of the last successful write",
            [("", self.last_write_unix)],
        )
        metric("start_time_seconds", "gauge", "Unix time the process started", [("", self.started_unix)])
        metric("store_up", "gauge", "1 if the last write succeeded", [("", float(self.store_ok))])
        metric(
            "mqtt_connected", "gauge", "1 while the MQTT session is up", [("", float(self.mqtt_connected()))]
        )
        self._render_latency(out)
        return "\n".join(out) + "\n"

    def _render_latency(self, out: list[str]) -> None:
        name = "zcf_ingest_write_duration_seconds"
        out.append(f"# HELP {name} Duration of successful batch writes")
        out.append(f"# TYPE {name} histogram")
        running = 0
        for bound, n in zip(LATENCY_BUCKETS, self.latency_counts, strict=True):
            running += n
            out.append(f'{name}_bucket{{le="{bound:g}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.batches_written}')
        out.append(f"{name}_sum {prometheus.number(self.write_seconds_sum)}")
        out.append(f"{name}_count {self.batches_written}")
