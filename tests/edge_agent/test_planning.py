"""Read planning: fewest requests within max_gap and the per-request limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge_agent.planning import MAX_BITS, MAX_REGISTERS, plan_reads, split, wanted


def test_sdm630_layout() -> None:
    pts = [wanted(f"f{a}", "input", a, "float32") for a in (0, 2, 4, 6, 8, 10, 52, 72)]
    plan = plan_reads(pts, max_gap=10)
    assert [(r.address, r.count) for r in plan] == [(0, 12), (52, 2), (72, 2)]
    assert dict(plan[0].points)["f10"] == 10


def test_big_gap_allowance_merges_everything() -> None:
    pts = [wanted(f"f{a}", "input", a, "float32") for a in (0, 52, 72)]
    assert [(r.address, r.count) for r in plan_reads(pts, max_gap=100)] == [(0, 74)]


def test_kinds_never_share_a_request() -> None:
    pts = [
        wanted("h", "holding", 0, "uint16"),
        wanted("i", "input", 1, "uint16"),
        wanted("c", "coil", 2, "bool"),
    ]
    assert sorted(r.kind for r in plan_reads(pts, 50)) == ["coil", "holding", "input"]


def test_register_limit_splits() -> None:
    pts = [wanted(f"r{a}", "holding", a, "uint16") for a in range(0, 300)]
    plan = plan_reads(pts, 0)
    assert [r.count for r in plan] == [125, 125, 50]


def test_overlapping_points_share_words() -> None:
    pts = [wanted("wide", "holding", 10, "uint64"), wanted("low", "holding", 12, "uint16")]
    (req,) = plan_reads(pts, 0)
    assert (req.address, req.count, dict(req.points)) == (10, 4, {"wide": 0, "low": 2})


points_st = st.lists(
    st.tuples(
        st.sampled_from(["holding", "input", "coil", "discrete"]),
        st.integers(0, 600),
        st.sampled_from(["uint16", "int32", "float32", "uint64"]),
    ),
    min_size=1,
    max_size=60,
)


@given(points=points_st, gap=st.integers(0, 40))
def test_every_point_is_covered_within_limits(points: list[tuple[str, int, str]], gap: int) -> None:
    ws = [wanted(f"p{i}", kind, addr, dt) for i, (kind, addr, dt) in enumerate(points)]  # type: ignore[arg-type]
    plan = plan_reads(ws, gap)
    served = {}
    for req in plan:
        limit = MAX_BITS if req.kind in ("coil", "discrete") else MAX_REGISTERS
        assert 1 <= req.count <= limit
        for key, off in req.points:
            served[key] = (req.kind, req.address + off, req)
    assert set(served) == {w.key for w in ws}
    for w in ws:
        kind, addr, req = served[w.key]
        assert (kind, addr) == (w.kind, w.address)
        assert w.address + w.width <= req.address + req.count


def test_split_gives_one_request_per_point() -> None:
    pts = [wanted("wide", "holding", 10, "uint64"), wanted("low", "holding", 12, "uint16")]
    pts.append(wanted("far", "holding", 40, "float32"))
    (req,) = plan_reads(pts, 30)
    parts = split(req, {w.key: w.width for w in pts})
    assert [(r.kind, r.address, r.count, r.points) for r in parts] == [
        ("holding", 10, 4, (("wide", 0),)),
        ("holding", 12, 1, (("low", 0),)),
        ("holding", 40, 2, (("far", 0),)),
    ]
