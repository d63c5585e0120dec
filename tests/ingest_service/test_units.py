"""Validation, dead-letter documents, metrics text and the HTTP endpoint, without servers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from iiot_core import codec, topics
from iiot_core.errors import WireError
from iiot_core.status_http import StatusHttp
from ingest_service.config import IngestSettings
from ingest_service.metrics import Metrics
from ingest_service.validation import Validator, deadletter_payload, deadletter_topic
from tests.support.samples import make_msg, now_ms

T = topics.telemetry("s1", "a1", "l1", "m1")


def test_result_topics_go_to_the_carbon_measurement() -> None:
    v = Validator()
    msg = make_msg("_all", line="_all")
    measurement, got = v.check(topics.result("s1", "a1", "_all", "_all"), codec.encode(msg), now_ms())
    assert (measurement, got) == ("carbon", msg)
    assert v.check(T, codec.encode(make_msg("m1")), now_ms())[0] == "telemetry"


@pytest.mark.parametrize(
    "topic", ["zcf/v1/s1/a1/l1/m1/status", "zcf/v1/s 1/a1/l1/m1/telemetry", "other/topic"]
)
def test_unusable_topics_are_refused(topic: str) -> None:
    with pytest.raises(WireError) as info:
        Validator().check(topic, codec.encode(make_msg()), now_ms())
    assert info.value.cause == "bad_topic"


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_validation(payload: bytes) -> None:
    try:
        Validator().check(T, payload, now_ms())
    except WireError as exc:
        doc = json.loads(deadletter_payload(T, payload, exc, 1))
        assert doc["cause"] == exc.cause and doc["size"] == len(payload)


def test_deadletter_topic_falls_back_for_unsafe_sites() -> None:
    assert deadletter_topic(T) == "zcf/v1/s1/_deadletter/ingest"
    assert deadletter_topic("zcf/v1/bad site/a/l/d/telemetry") == "zcf/v1/_unknown/_deadletter/ingest"


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def test_metrics_text_is_exact_for_large_counters() -> None:
    m = Metrics()
    m.observe_write(0.02, 1_234_567_891, 80_000)
    m.deadletters["schema"] += 3
    got = samples(m.render())
    assert got[("zcf_ingest_points_written_total", ())] == 1_234_567_891
    assert got[("zcf_ingest_deadletters_total", (("cause", "schema"),))] == 3
    assert got[("zcf_ingest_write_duration_seconds_bucket", (("le", "0.025"),))] == 1
    assert got[("zcf_ingest_write_duration_seconds_bucket", (("le", "0.01"),))] == 0
    assert got[("zcf_ingest_write_duration_seconds_count", ())] == 1


def test_every_counter_is_exported() -> None:
    """A number kept in Metrics but missing from /metrics is a counter nobody can read."""
    m = Metrics()
    hints = typing.get_type_hints(Metrics)
    scalars = [f.name for f in dataclasses.fields(m) if hints[f.name] in (int, float)]
    for i, name in enumerate(scalars):
        setattr(m, name, 70_001 + i)
    values = set(samples(m.render()).values())
    missing = [n for i, n in enumerate(scalars) if 70_001 + i not in values]
    assert missing == []


def test_each_service_instance_has_its_own_registry() -> None:
    """Two ingest services in one process (tests, a shared subscription) must not share counters."""
    a, b = Metrics(), Metrics()
    a.messages_in = 5
    assert samples(a.render())[("zcf_ingest_messages_total", ())] == 5
    assert samples(b.render())[("zcf_ingest_messages_total", ())] == 0


async def test_http_endpoint_routes() -> None:
    healthy = {"ok": False}
    app = StatusHttp(Metrics().render, lambda: (healthy["ok"], {"queue_messages": 0}))
    port = await app.serve("127.0.0.1", 0)

    async def get(path: str, method: str = "GET") -> tuple[bytes, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = await reader.read()
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0], body

    assert await get("/health") == (
        b"HTTP/1.1 503 Service Unavailable",
        b'{"status": "degraded", "queue_messages": 0}',
    )
    healthy["ok"] = True
    assert (await get("/health?x=1"))[0] == b"HTTP/1.1 200 OK"
    status, body = await get("/metrics")
    assert status == b"HTTP/1.1 200 OK" and samples(body)[("zcf_ingest_messages_total", ())] == 0
    assert (await get("/nope"))[0] == b"HTTP/1.1 404 Not Found"
    assert (await get("/health", "POST"))[0] == b"HTTP/1.1 405 Method Not Allowed"
    await app.close()


def test_settings_defaults() -> None:
    s = IngestSettings()
    assert s.effective_store_url() == "sqlite:///data/zcf.db"
    assert s.effective_client_id() == "zcf-ingest"
    assert s.topic_filters() == [topics.TELEMETRY_FILTER, topics.RESULT_FILTER]
    shared = IngestSettings(share="g1")
    assert shared.topic_filters()[0] == f"$share/g1/{topics.TELEMETRY_FILTER}"
    assert shared.effective_client_id().startswith("zcf-ingest-g1-")
