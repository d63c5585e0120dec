"""Golden cases: recorded telemetry in, window results out, each value worked out by hand (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from tests.carbon_engine.helpers import feed, find, ms, read_lines

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path) -> None:
    engine = Engine.from_file(case / "plant.toml")
    feed(engine, read_lines(case / "input.jsonl"))
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


def _check_faults(engine: Engine, faults: dict[str, dict[str, float]] | None) -> None:
    """Per-meter trace in the engine status; readings_dropped is keyed "meter/reason"."""
    if faults is None:
        return
    st = engine.engine_status(0)
    dropped = {f"{m}/{r}": n for (m, r), n in st.readings_dropped.items()}
    assert dropped == faults.get("readings_dropped", {}), "readings_dropped"
    assert st.gaps == faults.get("gaps", {}), "gaps"
    assert st.gap_seconds == pytest.approx(faults.get("gap_seconds", {})), "gap_seconds"


def test_every_case_documents_its_arithmetic() -> None:
    for case in CASES:
        assert (case / "README.md").is_file(), case.name
