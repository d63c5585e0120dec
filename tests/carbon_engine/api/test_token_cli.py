"""``zcf token``: create prints the token once and stores only its hash; list never shows a
token; revoke takes effect in a running app at once (the file is re-read when it changes)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from carbon_engine.api import ApiSettings, create_app
from carbon_engine.view import EngineView
from zcf import cli


def _zcf(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["token", *args])
    out, err = capsys.readouterr()
    return code, out, err


async def test_create_list_use_and_revoke(
    view: EngineView, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "etc" / "api-tokens"
    code, out, err = _zcf(capsys, "--file", str(file), "create", "--role", "operator")
    assert code == 0
    token = out.strip()
    token_id = token.split("_")[1]
    assert token.startswith("zcf_") and len(out.splitlines()) == 1
    assert "shown only now" in err and token not in err
    assert token.split("_", 2)[2] not in file.read_text() and token_id in file.read_text()
    assert file.stat().st_mode & 0o777 == 0o600

    code, listed, _ = _zcf(capsys, "--file", str(file), "list")
    assert code == 0 and token_id in listed and "operator" in listed
    assert token.split("_", 2)[2] not in listed

    app = create_app(ApiSettings(tokens_file=file), view, None)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        alert_id = view.alerts()[0].id
        assert (await c.post(f"/api/v1/alerts/{alert_id}/ack", headers=headers)).status_code == 200
        assert _zcf(capsys, "--file", str(file), "revoke", token_id)[0] == 0
        assert (await c.get("/api/v1/tree", headers=headers)).status_code == 401
        # A token created while the app runs works without a restart.
        fresh = _zcf(capsys, "--file", str(file), "create", "--role", "viewer")[1].strip()
        assert (await c.get("/api/v1/tree", headers={"Authorization": f"Bearer {fresh}"})).status_code == 200
    assert token_id not in file.read_text()


def test_revoking_an_unknown_id_fails_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "api-tokens"
    _zcf(capsys, "--file", str(file), "create", "--role", "viewer")
    code, _, err = _zcf(capsys, "--file", str(file), "revoke", "deadbeef")
    assert code == 1 and "deadbeef" in err and str(file) in err


def test_a_malformed_tokens_file_is_refused_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "api-tokens"
    file.write_text("# tokens\n12345678:root:sha256:00:" + "0" * 64 + ":1\n")
    monkeypatch.setenv("ZCF_API_TOKENS_FILE", str(file))  # the file may come from the environment
    code, _, err = _zcf(capsys, "list")
    assert code == 2
    assert f"{file}:2: role 'root' is not one of viewer, operator, admin" in err
