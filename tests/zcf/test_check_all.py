"""``zcf check`` reports every fault in one run, and cross-checks a plant file against its edge configs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zcf.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "examples"


def _run(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[str]]:
    code = main(["check", *map(str, paths)])
    return code, capsys.readouterr().err.splitlines()


def test_a_plant_file_reports_model_cross_file_and_factor_faults_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plant = tmp_path / "plant.toml"
    plant.write_text(
        """
[site]
id = "plant1"
factors = "missing_factors.toml"

[[areas]]
id = "a"
lines = [{ id = "l1" }, { id = "l1" }]

[[meters]]
id = "m1"
device = "d1"
point = "e"
carrier = "electricity"
max_rate = -5

[[meters]]
id = "m2"
device = "d1"
point = "gas"
carrier = "natural_gas"
unit = "kWh"
node = "a/nope"

[[meters]]
id = "m3"
device = "d2"
point = "e"
carrier = "electricity"
parent = "m1"
"""
    )
    code, err = _run(capsys, plant)
    assert code == 2
    assert err == [
        f"{plant}: meters[0].max_rate: Input should be greater than 0 (got -5)",
        f"{plant}: areas[0].lines: duplicate line id 'l1'",
        # meters[1] keeps its index in the file although meters[0] failed its own checks
        f"{plant}: meters[1].node: unknown node 'a/nope' (use '', 'area' or 'area/line')",
        f"{plant}: meters[1].unit: 'kWh' is not a counter unit of natural_gas ('Nm3', 'm3')",
        # (m3's parent m1 is invalid itself: reported once, above, not as an unknown parent)
        f"{tmp_path / 'missing_factors.toml'}: file not found",
    ]


def test_a_port_out_of_range_does_not_hide_a_duplicate_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = """
[[devices]]
kind = "modbus_tcp"
name = "m1"
area = "a"
line = "l"
host = "127.0.0.1"
port = {port}
points = [{{ name = "e", register = "input", address = 0, type = "float32" }}]
"""
    edge = tmp_path / "edge.toml"
    edge.write_text(
        '[agent]\nid = "e1"\nsite = "plant1"\n' + device.format(port=99999) + device.format(port=502)
    )
    code, err = _run(capsys, edge)
    assert code == 2
    assert err == [
        f"{edge}: devices[0](m1).port: Input should be less than or equal to 65535 (got 99999)",
        f"{edge}: devices: duplicate device name 'm1' (devices[0] and devices[1])",
    ]


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_plant_meters_are_checked_against_the_edge_devices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edge_text = (EXAMPLES / "edge.toml").read_text()
    # line 2's gas totaliser loses its unit at the edge; its steam totaliser reports in kg
    edge_text = _edit(edge_text, 's=Line2.GasTotal", unit = "Nm3" }', 's=Line2.GasTotal" }')
    edge_text = _edit(edge_text, 's=Line2.SteamTotal", unit = "t" }', 's=Line2.SteamTotal", unit = "kg" }')
    # line 1's sub-meter counts Wh, but the plant (no unit) reads kWh
    edge_text = _edit(
        edge_text, 'order = "CDAB", scale = 0.01, unit = "kWh" }', 'order = "CDAB", scale = 10, unit = "Wh" }'
    )
    plant_text = (EXAMPLES / "plant.toml").read_text()
    plant_text = _edit(
        plant_text,
        'point = "gas_total"\ncarrier = "natural_gas"\nnode = "assembly/line1"\nunit = "Nm3"',
        'point = "gas_totl"\ncarrier = "natural_gas"\nnode = "assembly/line1"\nunit = "Nm3"',
    )
    plant_text = _edit(
        plant_text,
        'point = "gas_total"\ncarrier = "natural_gas"\nnode = "assembly/line2"\nunit = "Nm3"\n',
        'point = "gas_total"\ncarrier = "natural_gas"\nnode = "assembly/line2"\n',
    )
    plant_text = _edit(
        plant_text,
        'device = "line2-plc"\npoint = "production_count"',
        'device = "line2-plc"\npoint = "units"',
    )
    plant_text = _edit(plant_text, 'device = "line2-meter"', 'device = "line2-metre"')
    edge, plant = tmp_path / "edge.toml", tmp_path / "plant.toml"
    edge.write_text(edge_text)
    plant.write_text(plant_text)
    shutil.copytree(EXAMPLES / "suppliers", tmp_path / "suppliers")  # the plant names a supplier
    code, err = _run(capsys, edge, plant)
    assert code == 2
    m = f"{plant}: meters"
    assert err == [
        f"{m}[2](line1-elec).unit: not set, so 'Wh' from the edge point line1-meter/import_energy "
        "(edge.toml) is read as 'kWh'; set unit = 'Wh'",
        f"{m}[3](line2-elec).device: no device 'line2-metre' in {edge} (did you mean 'line2-meter'?)",
        f"{m}[4](line1-gas).point: device 'line1-plc' has no point 'gas_totl' (did you mean 'gas_total'?)",
        f"{m}[6](line2-gas).unit: neither the meter nor the edge point line2-plc/gas_total (edge.toml) "
        "names a unit; the engine assumes 'Nm3'",
        f"{m}[7](line2-steam).unit: 't', but the edge point line2-plc/steam_total (edge.toml) is in 'kg'",
        f"{m}[9](line2-output).point: device 'line2-plc' has no point 'units' "
        "(known: gas_flow, gas_total, line_state, production_count, steam_flow, steam_total)",
    ]


def test_a_plant_without_an_edge_config_of_its_site_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edge = tmp_path / "edge.toml"
    edge.write_text(_edit((EXAMPLES / "edge.toml").read_text(), 'site = "plant1"', 'site = "plant2"'))
    code, err = _run(capsys, edge, EXAMPLES / "plant.toml")
    assert code == 2
    why = "no edge config given is for site 'plant1' (edge sites: ['plant2'])"
    assert err == [f"{EXAMPLES / 'plant.toml'}: site.id: {why}"]


def test_a_bad_point_does_not_hide_a_duplicate_point_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edge = tmp_path / "edge.toml"
    edge.write_text(
        '[agent]\nid = "e1"\nsite = "plant1"\n\n[[devices]]\nkind = "modbus_tcp"\nname = "m1"\narea = "a"\n'
        'line = "l"\nhost = "127.0.0.1"\nport = 502\npoints = [\n'
        '  { name = "e", register = "input", address = 0, type = "float32" },\n'
        '  { name = "e", register = "input", address = 2, type = "float99" },\n]\n'
    )
    code, err = _run(capsys, edge)
    assert code == 2
    assert len(err) == 2 and "points[1](e).type" in err[0], err
    assert err[1] == f"{edge}: devices[0](m1).points: duplicate point name 'e'"
