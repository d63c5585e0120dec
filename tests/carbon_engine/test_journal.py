"""The engine journal: records come back in order across generations; a torn tail is ignored."""

from __future__ import annotations

from pathlib import Path

from carbon_engine.journal import MARK, TELEMETRY, Journal, Mark


def test_records_in_order_across_generations_and_a_torn_tail_is_ignored(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    mark = Mark("plant1|1m", 60_000, 3, {"energy_kwh": 1.5})
    j.append([b'{"a":1}', b'{"a":2}'], [mark])
    first = j.gen
    second = j.rotate()
    j.append([b'{"a":3}'])
    j.close()
    with (tmp_path / f"journal-{second:010d}.bin").open("ab") as f:
        f.write(b"T\xff\x00")  # a crash inside a write: half a header
    got = list(Journal(tmp_path).records(first))
    assert got == [
        (TELEMETRY, b'{"a":1}'),
        (TELEMETRY, b'{"a":2}'),
        (MARK, mark.encode()),
        (TELEMETRY, b'{"a":3}'),
    ]
    assert Mark.decode(got[2][1]) == mark
    assert list(Journal(tmp_path).records(second)) == [(TELEMETRY, b'{"a":3}')]
    j.drop_before(second)
    assert Journal(tmp_path).generations() == [second]
