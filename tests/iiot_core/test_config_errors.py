"""The one validation-error formatter: file, key path (with item names) and problem on each line."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from iiot_core.config_errors import format_settings, format_validation


class _Pump(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["pump"]
    name: str
    flow: float = Field(gt=0)


class _Fan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["fan"]
    name: str


class _Plant(BaseModel):
    machines: list[Annotated[_Pump | _Fan, Field(discriminator="kind")]]


def _lines(data: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        _Plant.model_validate(data)
    return format_validation("p.toml", info.value, data, tags=("pump", "fan"))


def test_items_are_named_and_union_tags_left_out() -> None:
    data = {"machines": [{"kind": "fan", "name": "f1"}, {"kind": "pump", "name": "p1", "flow": -1, "x": 1}]}
    assert _lines(data) == [
        "p.toml: machines[1](p1).flow: Input should be greater than 0 (got -1)",
        "p.toml: machines[1](p1).x: unknown key (not allowed here) (got 1)",
    ]


def test_unknown_and_missing_kinds_name_the_choices() -> None:
    data = {"machines": [{"kind": "drill", "name": "d"}, {"name": "n"}]}
    assert _lines(data) == [
        "p.toml: machines[0](d).kind: unknown machine kind (expected one of pump, fan) (got 'drill')",
        "p.toml: machines[1](n).kind: missing key (one of pump, fan)",
    ]


def test_settings_errors_name_the_variable() -> None:
    with pytest.raises(ValidationError) as info:
        _Pump.model_validate({"kind": "pump", "name": "p", "flow": "fast"})
    assert format_settings(info.value, lambda f: f"ZCF_PUMP_{f.upper()}") == [
        "ZCF_PUMP_FLOW: Input should be a valid number, unable to parse string as a number (got 'fast')"
    ]


def test_secrets_never_appear_in_error_text() -> None:
    class M(BaseModel):
        url: str
        password: int

        @field_validator("url")
        @classmethod
        def _port(cls, v: str) -> str:
            raise ValueError("Port out of range 0-65535")

    try:
        M(url="mqtt://edge:TopSecretPw1@10.0.0.5:99999", password="TopSecretPw1")  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = format_validation("edge.toml", exc)
    text = "\n".join(lines)
    assert "TopSecretPw1" not in text, text
    assert "mqtt://***@10.0.0.5:99999" in text and "password: " in text and "(value hidden)" in text
