"""Factor traceability: every published result names the factor versions it used, and ingest stores them."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon_engine.engine import Engine
from carbon_engine.factors import read_factor_file
from iiot_core.errors import ConfigError
from iiot_core.store import MEASUREMENT_CARBON, Selector, open_reader, open_writer
from ingest_service.validation import Validator
from tests.carbon_engine.helpers import feed, find, ms, read_lines

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


_GRID_PLANT = """
[site]
id = "plant1"
grid_region = "national"
{setting}

[[meters]]
id = "main"
device = "site-meter"
point = "import_energy"
role = "grid_import"
carrier = "electricity"
"""


def _grid_minute(tmp_path: Path, setting: str, day: str) -> tuple[float, tuple[str, ...]]:
    """Location-based kg and factor versions of the site's first minute: 10 kWh on ``day``."""
    plant = tmp_path / "plant.toml"
    plant.write_text(_GRID_PLANT.format(setting=setting))
    engine = Engine.from_file(plant)
    lines = [
        {"ts": f"{day}T02:0{i}:00Z", "device": "site-meter", "points": {"import_energy": 10.0 * i}}
        for i in range(3)
    ]
    feed(engine, lines)
    r = find(engine, "plant1", "1m", ms(f"{day}T02:00:00Z"))
    assert r is not None
    return r.values["scope2_location_kg"], r.factor_versions


@pytest.mark.parametrize(
    ("setting", "day", "kg", "versions"),
    [
        # 2022 activity: the 2022 national average (0.5366) is the one in force then.
        ("", "2022-06-01", 5.366, ["cn-grid-national-2022@2022", "cn-grid-residual-2023@2023"]),
        (
            'grid_factor_year = "activity"',
            "2022-06-01",
            5.366,
            ["cn-grid-national-2022@2022", "cn-grid-residual-2023@2023"],
        ),
        # "latest": the newest published, 2023 (0.5306), for 2022 activity too.
        (
            'grid_factor_year = "latest"',
            "2022-06-01",
            5.306,
            ["cn-grid-national-2023@2023", "cn-grid-residual-2023@2023"],
        ),
        # A fixed year applies to activity of any year.
        (
            "grid_factor_year = 2023",
            "2022-06-01",
            5.306,
            ["cn-grid-national-2023@2023", "cn-grid-residual-2023@2023"],
        ),
        (
            "grid_factor_year = 2023",
            "2025-06-01",
            5.306,
            ["cn-grid-national-2023@2023", "cn-grid-residual-2023@2023"],
        ),
    ],
)
def test_grid_factor_year_picks_the_factor_and_the_result_records_it(
    tmp_path: Path, setting: str, day: str, kg: float, versions: list[str]
) -> None:
    got, tags = _grid_minute(tmp_path, setting, day)
    assert got == pytest.approx(kg, rel=1e-12)
    assert list(tags) == versions


def test_grid_factor_year_without_a_factor_for_that_year_is_refused(tmp_path: Path) -> None:
    # The default library has a 2022 national average but a residual mix for 2023 only.
    plant = tmp_path / "plant.toml"
    plant.write_text(_GRID_PLANT.format(setting="grid_factor_year = 2022"))
    with pytest.raises(ConfigError) as info:
        Engine.from_file(plant)
    why = "no residual_mix factor for 'national' is valid in 2022 (years: [2023])"
    assert info.value.problems == [f"{plant}: site.grid_factor_year: {why}"]
    plant.write_text(_GRID_PLANT.format(setting='grid_factor_year = "newest"'))
    with pytest.raises(ConfigError, match="grid_factor_year"):
        Engine.from_file(plant)
