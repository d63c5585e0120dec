"""Malformed messages interleaved with good ones: good ones stored, bad ones dead-lettered."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from pathlib import Path

import paho.mqtt.client as paho

from iiot_core import codec, topics
from iiot_core.store import Record
from ingest_service.service import IngestService
from ingest_service.validation import Validator
from tests.ingest_service.helpers import deadletter_watcher, publisher, running, settings, topic_of, wait_for
from tests.ingest_service.test_ingest_sqlite import sqlite_seqs
from tests.support.samples import make_msg, now_ms
from tests.support.servers import Mosquitto

T = topics.telemetry("s1", "a1", "l1", "m1")


def raw(**over: object) -> bytes:
    doc: dict[str, object] = json.loads(codec.encode(make_msg("m1", 999)))
    doc.update(over)
    return json.dumps(doc).encode()


def bad_point(value: str) -> bytes:
    msg = codec.encode(make_msg("m1", 999, values={"p": 1.5}))
    return msg.replace(b'"value":1.5', b'"value":' + value.encode())


BAD_NAMES = ["time", "site", "device", "a\\", "a\\\\b", 'a"b']
BAD: list[tuple[str, bytes, str]] = [
    (T, b"{not json", "malformed_json"),
    (T, b"\xff\xfe\x00binary", "malformed_json"),
    (T, raw(seq="seven"), "schema"),
    (T, raw(points=[{"name": "p", "value": "high", "ts": now_ms()}]), "schema"),
    (T, bad_point("NaN"), "non_finite"),
    (T, bad_point("1e999"), "non_finite"),  # beyond float range: JSON's spelling of infinity
    (T, raw(schema=2), "unknown_schema"),
    (T, raw(points=[{"name": "p", "value": 1.0, "ts": now_ms() + 10 * 86_400_000}]), "absurd_timestamp"),
    (T, raw(points=[{"name": "p", "value": 1.0, "ts": 1_000}]), "absurd_timestamp"),
    (T, b" " * 300_000, "oversize"),
    (topics.telemetry("s1", "a1", "l1", "m2"), raw(), "topic_mismatch"),
    (T, raw(points=[{"name": "seq", "value": 1.0, "ts": now_ms()}]), "bad_point_name"),
    (T, raw(points=[{"name": "x_q", "value": 1.0, "ts": now_ms()}]), "bad_point_name"),
    # JSON has no NaN or Infinity: named for what they are, not as malformed JSON ...
    (T, bad_point("Infinity"), "non_finite"),
    (T, bad_point("-Infinity"), "non_finite"),
    # ... but only as tokens: inside a string, or part of a longer word, they are not.
    (T, b'{"note": "a \\"NaN\\" and -Infinity", oops}', "malformed_json"),
    (T, bad_point("NaNo"), "malformed_json"),
    (T, bad_point("xInfinity"), "malformed_json"),
    # Wider than the stores' signed 64-bit integers: refused alike whatever the store.
    (T, raw(seq=2**63), "schema"),
    (T, raw(ts=-(2**63) - 1), "schema"),
    (T, bad_point("-1e999"), "non_finite"),
    (T, bad_point("1" + "0" * 400), "non_finite"),
    # Names a store would drop (time), hide a tag with (site, device) or misread (the rest).
    *[(T, raw(points=[{"name": n, "value": 1.0, "ts": now_ms()}]), "bad_point_name") for n in BAD_NAMES],
]


async def test_bad_input_is_deadlettered_and_good_input_stored(broker: Mosquitto, tmp_path: Path) -> None:
    db = tmp_path / "zcf.db"
    cfg = settings(broker.url, f"sqlite:///{db}", tmp_path, client_id="dl-ingest")
    letters: list[paho.MQTTMessage] = []
    watcher = deadletter_watcher(broker.url, letters)
    await watcher.start(wait_s=5)
    t0 = now_ms() - 60_000
    good = [make_msg("m1", i, t0 + i * 1000) for i in range(1, len(BAD) + 2)]
    result = make_msg("_all", 1, values={"co2_kg": 3.5}, line="_all")
    async with running(cfg) as svc, publisher(broker.url) as pub:
        futs = []
        for i, g in enumerate(good):  # good, bad, good, bad, ... in one stream
            futs.append(pub.publish(topic_of(g), codec.encode(g)))
            if i < len(BAD):
                futs.append(pub.publish(BAD[i][0], BAD[i][1]))
        futs.append(pub.publish(topics.result("s1", "a1", "_all", "_all"), codec.encode(result)))
        await asyncio.wait_for(asyncio.gather(*futs), 10)
        await wait_for(lambda: len(letters) == len(BAD), what="dead letters")
        await wait_for(lambda: svc.metrics.queue_messages == 0, what="all acked")
        assert sum(svc.metrics.deadletters.values()) == len(BAD)
    assert sqlite_seqs(db, "p_kw") == {"m1": list(range(1, len(BAD) + 2))}
    with sqlite3.connect(db) as c:
        carbon = c.execute(
            "SELECT s.field, v.value FROM samples v JOIN series s ON s.id = v.series_id "
            "WHERE s.measurement = 'carbon'"
        ).fetchall()
    assert carbon == [("co2_kg", 3.5)]

    docs = [json.loads(m.payload) for m in letters]
    assert {m.topic for m in letters} == {topics.deadletter("s1", "ingest")}
    assert [(d["topic"], d["cause"]) for d in docs] == [(t, cause) for t, _p, cause in BAD]
    for doc, (_t, payload, _c) in zip(docs, BAD, strict=True):
        assert doc["detail"]
        shown = doc.get("payload", "").encode() or base64.b64decode(doc.get("payload_b64", ""))
        assert payload.startswith(shown) and doc["size"] == len(payload)
    assert "payload_b64" in docs[1] and docs[9]["truncated"] is True

    # Everything was acked, bad messages included: a restart gets nothing redelivered.
    async with running(cfg) as again:
        await asyncio.sleep(0.5)
        assert again.metrics.messages_in == 0
    await watcher.stop()


class _FailingValidator(Validator):
    """Validation with a bug for one device: it raises something other than WireError."""

    def check(self, topic: str, payload: bytes, now_ms: int) -> Record:
        if "/m13/" in topic:
            raise KeyError("a bug")
        return super().check(topic, payload, now_ms)


async def test_a_validation_bug_dead_letters_that_message_only(broker: Mosquitto, tmp_path: Path) -> None:
    """Messages are handled in runs: one that makes validation raise must not cost the others
    of its run, nor the budget its points (the next messages still get through)."""
    db = tmp_path / "zcf.db"
    cfg = settings(broker.url, f"sqlite:///{db}", tmp_path, client_id="bug-ingest", max_queued_points=40)
    letters: list[paho.MQTTMessage] = []
    watcher = deadletter_watcher(broker.url, letters)
    await watcher.start(wait_s=5)
    t0 = now_ms() - 60_000
    msgs = [make_msg(f"m1{d}", i, t0 + i * 1000) for i in range(1, 31) for d in range(5)]
    svc = IngestService(cfg)
    async with running(cfg, svc), publisher(broker.url) as pub:
        assert svc._pipeline is not None
        svc._pipeline.validator = _FailingValidator()
        await asyncio.wait_for(asyncio.gather(*(pub.publish(topic_of(m), codec.encode(m)) for m in msgs)), 10)
        await wait_for(lambda: len(letters) == 30, what="dead letters")
        await wait_for(lambda: svc.metrics.queue_messages == 0, what="all acked")
    assert sqlite_seqs(db, "p_kw") == {f"m1{d}": list(range(1, 31)) for d in (0, 1, 2, 4)}
    docs = [json.loads(m.payload) for m in letters]
    assert {d["cause"] for d in docs} == {"ingest_error"} and "KeyError" in docs[0]["detail"]
    await watcher.stop()
