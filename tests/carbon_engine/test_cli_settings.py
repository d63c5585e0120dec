"""`zcf engine` settings: command line > environment > default, and errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon_engine.cli import EngineProcess, build_parser, main

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "plant.toml"


def _process(tmp_path: Path, *flags: str) -> EngineProcess:
    args = build_parser().parse_args(["--plant", str(EXAMPLE), "--data-dir", str(tmp_path), *flags])
    return EngineProcess(args)


async def test_api_address_comes_from_the_environment_unless_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 10: the --http-host default used to win over ZCF_API_HOST.
    monkeypatch.setenv("ZCF_API_HOST", "0.0.0.0")
    monkeypatch.setenv("ZCF_API_PORT", "18123")
    from_env = _process(tmp_path).api
    assert (from_env.host, from_env.port) == ("0.0.0.0", 18123)
    given = _process(tmp_path, "--http-host", "127.0.0.2", "--http-port", "18124").api
    assert (given.host, given.port) == ("127.0.0.2", 18124)
    assert _process(tmp_path, "--http-port", "-1").api is None


async def test_api_defaults_without_flag_or_variable(tmp_path: Path) -> None:
    api = _process(tmp_path).api
    assert (api.host, api.port) == ("127.0.0.1", 8080)


async def test_standby_from_environment_and_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZCF_ENGINE_LEASE_S", "7.5")
    monkeypatch.setenv("ZCF_ENGINE_STANDBY", "yes")
    service = _process(tmp_path, "--http-port", "-1").service
    assert (service.lease_s, service.standby) == (7.5, True)
    monkeypatch.setenv("ZCF_ENGINE_STANDBY", "0")
    service = _process(tmp_path, "--http-port", "-1", "--lease-s", "3", "--standby").service
    assert (service.lease_s, service.standby) == (3.0, True)


@pytest.mark.parametrize(
    ("env", "flags", "expected"),
    [
        ({"ZCF_ENGINE_LEASE_S": "soon"}, [], "ZCF_ENGINE_LEASE_S: Input should be a valid number"),
        ({}, ["--lease-s", "0"], "--lease-s: Input should be greater than 0 (got 0.0)"),
        ({"ZCF_API_HOST": "0.0.0.0", "ZCF_API_PORT": "99999"}, [], "ZCF_API_PORT: Input should be less"),
        ({}, ["--http-port", "99999"], "--http-port: Input should be less than or equal to 65535"),
        ({"ZCF_MQTT_PROTOCOL": "6"}, [], "ZCF_MQTT_PROTOCOL: Input should be 5 or 4 (got 6)"),
        ({"ZCF_LOG_LEVEL": "loud"}, [], "ZCF_LOG_LEVEL: Input should be 'DEBUG'"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    flags: list[str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--plant", str(EXAMPLE), "--data-dir", str(tmp_path), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected), err
    assert "Traceback" not in err
