"""Counters of one ingest process, exposed through ``prometheus_client``.

The counters are plain attributes, bumped on the event loop for every message (no lock, no
call); a collector turns them into metric families at scrape time. Each ``Metrics`` has a
registry of its own, not the process-wide default one, so one process (a test) can run
several ingest services side by side.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

PREFIX = "zcf_ingest_"
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
    registry: CollectorRegistry = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_IngestCollector(self))

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

    def render(self) -> bytes:
        """Prometheus text format 0.0.4."""
        return generate_latest(self.registry)


class _IngestCollector(Collector):
    """Reads a ``Metrics`` at every scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        yield _counter("messages_total", "MQTT messages received", m.messages_in)
        yield _counter("messages_stored_total", "Messages written and acked", m.messages_stored)
        yield _counter("points_written_total", "Points written to the store", m.points_written)
        yield _counter("batches_written_total", "Batches written", m.batches_written)
        yield _counter("write_retries_total", "Failed batch writes that were retried", m.write_retries)
        dl = CounterMetricFamily(
            f"{PREFIX}deadletters_total", "Invalid messages dead-lettered, by cause", labels=["cause"]
        )
        for cause, n in sorted(m.deadletters.items()):
            dl.add_metric([cause], n)
        yield dl
        yield _gauge("queue_messages", "Messages received, not yet written", m.queue_messages)
        yield _gauge("queue_points", "Points received, not yet written", m.queue_points)
        last = m.last_write_unix
        yield _gauge("last_write_timestamp_seconds", "Unix time of the last successful write", last)
        yield _gauge("start_time_seconds", "Unix time the process started", m.started_unix)
        yield _gauge("store_up", "1 if the last write succeeded", float(m.store_ok))
        yield _gauge("mqtt_connected", "1 while the MQTT session is up", float(m.mqtt_connected()))
        yield _latency(m)


def _counter(name: str, help_: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, help_, value=value)


def _gauge(name: str, help_: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, help_, value=value)


def _latency(m: Metrics) -> HistogramMetricFamily:
    cumulative, running = [], 0
    for bound, n in zip(LATENCY_BUCKETS, m.latency_counts, strict=True):
        running += n
        cumulative.append((f"{bound:g}", float(running)))
    cumulative.append(("+Inf", float(m.batches_written)))
    return HistogramMetricFamily(
        f"{PREFIX}write_duration_seconds",
        "Duration of successful batch writes",
        buckets=cumulative,
        sum_value=m.write_seconds_sum,
    )
