"""Golden cases: recorded telemetry in, window results out, each value worked out by hand (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from carbon_engine.results import Outbound
from tests.carbon_engine.helpers import feed, find, ms, read_lines

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path) -> None:
    engine = Engine.from_file(case / "plant.toml")
    out = feed(engine, read_lines(case / "input.jsonl"))
    expected = json.loads((case / "expected.json").read_text())
    for w in expected["windows"]:
        r = find(engine, w["node"], w["size"], ms(w["start"]))
        where = f"{w['node']} {w['size']} {w['start']}"
        assert r is not None, f"no result for {where}"
        for key, value in w["values"].items():
            if value is None:
                assert key not in r.values, f"{where}: {key} should be undefined"
            else:
                assert key in r.values, f"{where}: {key} missing"
                assert r.values[key] == pytest.approx(value, rel=1e-6, abs=1e-9), f"{where}: {key}"
        if "factors" in w:
            assert list(r.factor_versions) == sorted(w["factors"]), f"{where}: factor versions"
        if "min_revision" in w:
            assert r.revision >= w["min_revision"], f"{where}: not republished"
    for key, value in expected.get("counts", {}).items():
        assert getattr(engine.core.meters.counts, key) == value, key
    _check_faults(engine, expected.get("faults"))
    _check_alerts(engine, expected.get("alerts"))
    _check_deadletters(out, expected.get("deadletters"))


def _check_faults(engine: Engine, faults: dict[str, dict[str, float]] | None) -> None:
    """Per-meter trace in the engine status; readings_dropped is keyed "meter/reason"."""
    if faults is None:
        return
    st = engine.engine_status(0)
    for meter, limit in faults.get("limits", {}).items():
        assert st.limits[meter] == pytest.approx(limit), f"limit of {meter}"
    dropped = {f"{m}/{r}": n for (m, r), n in st.readings_dropped.items()}
    assert dropped == faults.get("readings_dropped", {}), "readings_dropped"
    assert st.gaps == faults.get("gaps", {}), "gaps"
    assert st.gap_seconds == pytest.approx(faults.get("gap_seconds", {})), "gap_seconds"


def _check_alerts(engine: Engine, alerts: list[dict[str, str]] | None) -> None:
    """Alerts raised while the case played (active or cleared since), by rule and subject."""
    if alerts is None:
        return
    seen = {(a.rule, a.node) for a in engine.book.list()}
    assert seen == {(a["rule"], a["node"]) for a in alerts}, seen


def _check_deadletters(out: list[Outbound], letters: list[dict[str, object]] | None) -> None:
    """Dead letters published on the engine's dead-letter topic: every field listed must match."""
    if letters is None:
        return
    got = [json.loads(m.payload) for m in out if m.topic.endswith("/_deadletter/engine")]
    assert len(got) == len(letters), got
    for g, e in zip(got, letters, strict=True):
        for key, value in e.items():
            assert g[key] == (pytest.approx(value) if isinstance(value, float) else value), (key, g)


def test_every_case_documents_its_arithmetic() -> None:
    for case in CASES:
        assert (case / "README.md").is_file(), case.name
