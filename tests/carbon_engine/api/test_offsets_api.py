"""POST/GET /api/v1/offsets through the real app: roles, a serial once (409), bad input (422)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from carbon_engine.accounts.offsets import OffsetLedger
from carbon_engine.api import create_app
from carbon_engine.api.auth import Role
from carbon_engine.api.routes.offsets import NOT_CONFIGURED
from carbon_engine.engine import Engine
from tests.support.api_tokens import api_settings, auth, token
from tests.support.engine_setup import PLANT_FILE

OFFSET: dict[str, Any] = {
    "serial": "CCER-2025-0100-000001-004000",
    "registry": "CCER registry",
    "kind": "ccer",
    "vintage": 2025,
    "tco2e": 4.0,
    "retired_on": "2026-11-05",
    "period": "2026-11",
    "evidence": "retirement certificate R-2026-0400",
}
URL = "/api/v1/offsets"


def _client(ledger: OffsetLedger | None, **settings: Any) -> httpx.AsyncClient:
    app = create_app(api_settings(**settings), Engine.from_file(PLANT_FILE), offsets_ledger=ledger)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
def ledger(tmp_path: Path) -> OffsetLedger:
    return OffsetLedger(tmp_path / "offsets.jsonl")


@pytest.fixture
async def client(ledger: OffsetLedger) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(ledger) as c:
        yield c


async def test_an_operator_records_an_offset_and_everyone_reads_it(
    client: httpx.AsyncClient, ledger: OffsetLedger
) -> None:
    r = await client.post(URL, json=OFFSET, headers=auth(Role.operator))
    assert r.status_code == 201, r.text
    operator_id = token(Role.operator).split("_")[1]
    assert r.json()["recorded_by"] == operator_id and r.json()["tco2e"] == 4.0
    assert [o.serial for o in ledger.load()] == [OFFSET["serial"]]
    for period, found in (("2026", 1), ("2026-Q4", 1), ("2026-11", 1), ("2026-10", 0)):
        listed = await client.get(URL, params={"period": period}, headers=auth(Role.viewer))
        assert listed.status_code == 200 and len(listed.json()) == found, period
    everything = (await client.get(URL, headers=auth(Role.viewer))).json()
    assert everything[0]["serial"] == OFFSET["serial"] and everything[0]["period"] == "2026-11"


async def test_a_serial_recorded_twice_is_refused_with_409(client: httpx.AsyncClient) -> None:
    assert (await client.post(URL, json=OFFSET, headers=auth(Role.admin))).status_code == 201
    again = {**OFFSET, "period": "2026-12", "serial": OFFSET["serial"].lower()}
    r = await client.post(URL, json=again, headers=auth(Role.operator))
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert OFFSET["serial"].lower() in detail and "offsets.jsonl:1" in detail and "2026-11" in detail
    assert len((await client.get(URL, headers=auth())).json()) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tco2e": -1}, "body.tco2e"),
        ({"kind": "forest"}, "body.kind"),
        ({"period": "2026-13"}, "body.period"),
        ({"serial": "two words"}, "body.serial"),
        ({"retired_on": "2999-01-01"}, "body.retired_on"),
        ({"vintage": 2027, "retired_on": "2026-11-05"}, "body"),
        ({"colour": "green"}, "body.colour"),
    ],
)
async def test_bad_input_is_refused_with_422_naming_the_field(
    client: httpx.AsyncClient, ledger: OffsetLedger, change: dict[str, Any], field: str
) -> None:
    r = await client.post(URL, json={**OFFSET, **change}, headers=auth())
    assert r.status_code == 422, r.text
    assert field in [e["where"] for e in r.json()["errors"]]
    assert ledger.load() == []


async def test_a_missing_field_is_named(client: httpx.AsyncClient) -> None:
    body = {k: v for k, v in OFFSET.items() if k != "evidence"}
    r = await client.post(URL, json=body, headers=auth())
    assert r.status_code == 422 and "body.evidence" in r.json()["detail"]


async def test_viewers_and_the_open_read_only_mode_may_not_record(ledger: OffsetLedger) -> None:
    async with _client(ledger, open_read_only=True) as c:
        assert (await c.get(URL)).status_code == 200
        anonymous = await c.post(URL, json=OFFSET)
        assert anonymous.status_code == 401 and "open read-only mode" in anonymous.json()["detail"]
        viewer = await c.post(URL, json=OFFSET, headers=auth(Role.viewer))
        assert viewer.status_code == 403 and "operator" in viewer.json()["detail"]
    assert ledger.load() == []


async def test_without_a_configured_ledger_nothing_is_listed_and_recording_says_why() -> None:
    async with _client(None) as c:
        assert (await c.get(URL, headers=auth())).json() == []
        r = await c.post(URL, json=OFFSET, headers=auth())
        assert r.status_code == 409 and r.json()["detail"] == NOT_CONFIGURED


async def test_a_corrupt_ledger_is_an_error_naming_the_line(
    client: httpx.AsyncClient, ledger: OffsetLedger
) -> None:
    ledger.path.write_text("{not json}\n", encoding="utf-8")
    r = await client.get(URL, headers=auth())
    assert r.status_code == 500 and "offsets.jsonl:1" in r.json()["detail"]
    assert (await client.post(URL, json=OFFSET, headers=auth())).status_code == 500
    assert ledger.path.read_text(encoding="utf-8") == "{not json}\n"


async def test_a_bad_period_query_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.get(URL, params={"period": "November"}, headers=auth())
    assert r.status_code == 422 and "query.period" in r.json()["detail"]


async def test_the_engine_serves_the_ledger_its_plant_file_names(tmp_path: Path) -> None:
    from carbon_engine.cli import _api_server

    plant = tmp_path / "plant.toml"
    plant.write_text(PLANT_FILE.read_text() + '\n[accounts.offsets]\nfile = "offsets.jsonl"\n')
    server = _api_server(api_settings(), Engine.from_file(plant), None, None, plant)
    transport = httpx.ASGITransport(app=server.config.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.post(URL, json=OFFSET, headers=auth())).status_code == 201
    assert [o.serial for o in OffsetLedger(tmp_path / "offsets.jsonl").load()] == [OFFSET["serial"]]
