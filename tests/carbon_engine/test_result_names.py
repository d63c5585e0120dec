"""Engine result points are ordinary telemetry: every name they use must pass ingest's point-name rule."""

from __future__ import annotations

from carbon_engine.factors import DEFAULT_FILE, read_factor_file
from carbon_engine.units import ALL_POINTS, POINT_UNITS, factor_point
from iiot_core.store.lineproto import point_name_problem


def test_every_result_point_name_is_storable() -> None:
    names = set(ALL_POINTS) | set(POINT_UNITS)
    names |= {factor_point(e.tag) for e in read_factor_file(DEFAULT_FILE)}
    assert any(n.startswith("factor:") and "@" in n for n in names)
    assert {n: point_name_problem(n) for n in names if point_name_problem(n) is not None} == {}
