"""Point names: the edge config check refuses exactly the names ingest would dead-letter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_agent import config
from iiot_core import codec, topics
from iiot_core.errors import WireError
from iiot_core.store.base import TAGS
from ingest_service.validation import Validator
from tests.support.samples import make_msg, now_ms

REFUSED = ["time", *TAGS, "seq", "p_q", "_field", "a\\", "a\\\\b", "a\\,b", "a\\ b", 'a"b', "tab\there"]
ACCEPTED = ["p_kw", "温度 (°C)", "a\\b", "a,b=c d", "Time", "site_power", "factor:grid-cn@2023"]


def _edge_config(tmp_path: Path, point: str) -> Path:
    # json.dumps gives a TOML basic string for any name: same escapes for \\, " and control chars.
    path = tmp_path / "edge.toml"
    path.write_text(
        '[agent]\nid = "edge1"\nsite = "s1"\n\n[[devices]]\nkind = "modbus_tcp"\nname = "m1"\n'
        'area = "a1"\nline = "l1"\nhost = "127.0.0.1"\npoints = [\n'
        '  { name = "ok", register = "input", address = 0 },\n'
        f'  {{ name = {json.dumps(point)}, register = "input", address = 1 }},\n]\n'
    )
    return path


def _ingest_refusal(name: str) -> str | None:
    msg = make_msg("m1", 1, values={"ok": 1.0, name: 2.0})
    try:
        Validator().check(topics.telemetry("s1", "a1", "l1", "m1"), codec.encode(msg), now_ms())
    except WireError as err:
        assert err.cause == "bad_point_name"
        return err.detail
    return None


@pytest.mark.parametrize("name", REFUSED)
def test_refused_names_name_the_file_device_and_point(tmp_path: Path, name: str) -> None:
    path = _edge_config(tmp_path, name)
    (line,) = config.check(path)
    assert line.startswith(f"{path}: devices[0](m1).points[1]({name}).name: point name {name!r}")
    detail = _ingest_refusal(name)
    assert detail is not None and detail in line  # the same sentence, from the same rule


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_names_pass_both(tmp_path: Path, name: str) -> None:
    assert config.check(_edge_config(tmp_path, name)) == []
    assert _ingest_refusal(name) is None
