"""Factor traceability: every published result names the factor versions it used, and ingest stores them."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from carbon_engine.factors import read_factor_file
from iiot_core.errors import ConfigError
from iiot_core.store import MEASUREMENT_CARBON, Selector, open_reader, open_writer
from ingest_service.validation import Validator
from tests.carbon_engine.helpers import feed, ms, read_lines

GOLDEN = Path(__file__).parent / "golden"
# constant_grid: grid import in region East on 2024-03-01, so the 2023 factors apply.
USED = ["factor:cn-grid-east-2023@2023", "factor:cn-grid-residual-2023@2023"]


async def test_results_stored_through_ingest_name_their_factor_versions(tmp_path: Path) -> None:
    engine = Engine.from_file(GOLDEN / "constant_grid" / "plant.toml")
    out = feed(engine, read_lines(GOLDEN / "constant_grid" / "input.jsonl"))
    now = ms("2024-03-05T00:00:00Z")
    validator = Validator()
    records = [validator.check(o.topic, o.payload, now) for o in out if o.topic.endswith("/result")]
    assert records and all(m == MEASUREMENT_CARBON for m, _ in records)

    url = f"sqlite:///{tmp_path}/zcf.db?retention_days=0"  # 2024 data: past the default retention
    writer, reader = open_writer(url), open_reader(url)
    try:
        await writer.write(records)
        fields = await reader.fields(MEASUREMENT_CARBON)
        assert [f for f in fields if f.startswith("factor:")] == USED
        sel = Selector(MEASUREMENT_CARBON, "plant1", "_all", "_all", "carbon-1m", tuple(USED))
        stored = await reader.latest(sel)
    finally:
        await writer.close()
        await reader.close()
    # The newest minute window of the site, as stored, still says which factors made it.
    assert sorted(v.key.field for v in stored) == USED
    assert {v.value for v in stored} == {1.0}
    assert {v.ts for v in stored} == {ms("2024-03-01T02:04:00Z")}


def test_factor_whose_version_cannot_travel_in_a_result_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "factors.toml"
    f.write_text(
        """
[[factor]]
id = "site-grid"
carrier = "electricity"
kind = "location"
variant = "east"
value = 0.5
unit = "kgCO2/kWh"
source = "test"
publication = "2024"
valid_from = "2024-01-01"
version = "v1_q"
"""
    )
    with pytest.raises(ConfigError, match="id@version"):
        read_factor_file(f)
