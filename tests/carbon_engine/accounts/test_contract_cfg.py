"""Contract additions for period matching: PPA hourly profiles and certificate serials."""

from __future__ import annotations

from pathlib import Path

from carbon_engine.config import check

PLANT = """
[site]
id = "plant1"

[[meters]]
id = "grid"
device = "main-meter"
point = "import_energy"
role = "grid_import"
carrier = "electricity"
"""


def _check(tmp_path: Path, contracts: str) -> list[str]:
    f = tmp_path / "plant.toml"
    f.write_text(PLANT + contracts)
    return [line.removeprefix(f"{f}: ") for line in check(f)]


def test_a_ppa_profile_of_24_weights_is_accepted(tmp_path: Path) -> None:
    ok = """
[[contracts]]
id = "ppa"
kind = "ppa"
registry = "provincial trading centre"
hourly_profile = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0]
periods = [{ start = 2026-01-01, end = 2026-12-31, volume_mwh = 400, serial = "PPA-2026-1" }]
"""
    assert _check(tmp_path, ok) == []


def test_bad_profiles_are_refused_naming_the_key(tmp_path: Path) -> None:
    head = '[[contracts]]\nid = "c"\nperiods = [{ start = 2026-01-01, end = 2026-01-31, %s }]\n'
    cases = {
        'kind = "ppa"\nhourly_profile = [1, 2]': ("volume_mwh = 1", "hourly_profile"),
        'kind = "ppa"\nhourly_profile = [' + ", ".join(["0"] * 24) + "]": ("volume_mwh = 1", "not all zero"),
        'kind = "ppa"\nhourly_profile = [' + ", ".join(["1"] * 23 + ["-1"]) + "]": (
            "volume_mwh = 1",
            "non-negative",
        ),
        'kind = "gec"\nhourly_profile = [' + ", ".join(["1"] * 24) + "]": (
            "certificates = 1",
            "unbundled GEC",
        ),
    }
    for body, (volume, needle) in cases.items():
        text = "\n".join(_check(tmp_path, head % volume + body + "\n"))
        assert "contracts" in text and needle in text, (body, text)


def test_a_serial_given_twice_is_refused(tmp_path: Path) -> None:
    twice = """
[[contracts]]
id = "gec-a"
kind = "gec"
periods = [{ start = 2026-01-01, end = 2026-06-30, certificates = 5, serial = "GEC-1..5" }]

[[contracts]]
id = "gec-b"
kind = "gec"
periods = [{ start = 2026-07-01, end = 2026-12-31, certificates = 5, serial = "GEC-1..5" }]
"""
    refused = "contracts: serial 'GEC-1..5' given twice (a certificate is retired once)"
    assert _check(tmp_path, twice) == [refused]
