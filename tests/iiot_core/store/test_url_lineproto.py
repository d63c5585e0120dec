from __future__ import annotations

from pathlib import Path

import pytest

from iiot_core.errors import ConfigError
from iiot_core.model import SCHEMA_VERSION, Point, Quality, Telemetry
from iiot_core.store import parse_store_url
from iiot_core.store.base import TAGS
from iiot_core.store.lineproto import encode_batch, encode_message, point_name_problem
from tests.support.samples import make_msg


def test_sqlite_urls_follow_sqlalchemy() -> None:
    assert parse_store_url("sqlite:///data/zcf.db").path == Path("data/zcf.db")
    assert parse_store_url("sqlite:////var/lib/zcf.db").path == Path("/var/lib/zcf.db")


def test_influx_v1_url() -> None:
    u = parse_store_url("influxdb-v1://bob:s%40cret@db.local:9999/plant?rp=raw")
    assert (u.host, u.port, u.user, u.password, u.database, u.rp) == (
        "db.local",
        9999,
        "bob",
        "s@cret",
        "plant",
        "raw",
    )
    assert "s@cret" not in u.redacted() and "bob" not in u.redacted()


def test_influx_v2_url() -> None:
    u = parse_store_url("influxdb-v2://tok%2Fen==@127.0.0.1/acme/telemetry?tls=1")
    assert (u.token, u.org, u.database, u.port, u.tls) == ("tok/en==", "acme", "telemetry", 8086, True)
    assert u.http_base == "https://127.0.0.1:8086"
    assert "tok" not in u.redacted()


def test_influx_v2_url_for_influxdb_1_8() -> None:
    u = parse_store_url("influxdb-v2://bob:pw@127.0.0.1:8086/-/plant/autogen")
    assert (u.token, u.org, u.database) == ("bob:pw", "-", "plant/autogen")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgres://x/y", "unknown scheme"),
        ("sqlite://host/x.db", "sqlite:///relative"),
        ("influxdb-v1://h:1/", "database"),
        ("influxdb-v1://h:99999/db", "bad port"),
        ("influxdb-v2://t@h:1/onlyorg", "org/bucket"),
        ("influxdb-v1://h:1/db?retention=x", "unknown option"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse_store_url(url)


def test_bad_url_error_hides_secret() -> None:
    with pytest.raises(ConfigError) as info:
        parse_store_url("influxdb-v2://supersecret@h:1/org")
    assert "supersecret" not in str(info.value)


def test_line_protocol_one_line_per_device_poll() -> None:
    msg = make_msg("m1", 7, 1700000000123, {"p kw": 1.5, "e,kwh": 2.0}, quality={"e,kwh": Quality.STALE})
    lines: list[str] = []
    assert encode_message("telemetry", msg, lines) == 2
    assert lines == [
        "telemetry,area=a1,device=m1,line=l1,site=s1 "
        'p\\ kw=1.5,e\\,kwh=2.0,e\\,kwh_q="stale",seq=7i 1700000000123'
    ]


def test_line_protocol_splits_points_with_different_times() -> None:
    pts = [Point("a", 1.0, 1000), Point("b", 2.0, 2000), Point("c", 3.0, 1000)]
    msg = Telemetry(SCHEMA_VERSION, "s", "a", "l", "d", 3, 1000, pts)
    body, n = encode_batch([("carbon", msg)])
    assert n == 3
    assert body.decode().splitlines() == [
        "carbon,area=a,device=d,line=l,site=s a=1.0,c=3.0,seq=3i 1000",
        "carbon,area=a,device=d,line=l,site=s b=2.0,seq=3i 2000",
    ]


def test_empty_message_writes_nothing() -> None:
    msg = Telemetry(SCHEMA_VERSION, "s", "a", "l", "d", 3, 1000, [])
    assert encode_batch([("telemetry", msg)]) == (b"", 0)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("seq", "reserved"),
        ("x_q", "reserved"),
        ("time", "reserved"),
        ("_measurement", "reserved"),
        *[(tag, "reserved") for tag in TAGS],  # the store's own tag keys, from the one list
        ("", "empty"),
        ("a" * 201, "longer than 200"),
        ("bad\nname", "control"),
        ("nbsp\u00a0", "unprintable"),
        ('say "hi"', "double quote"),
        ("a\\", "ends with a backslash"),
        *[(f"a\\{c}b", f"backslash before {c!r}") for c in ',= "\\'],
    ],
)
def test_reserved_and_unsafe_point_names(name: str, why: str) -> None:
    problem = point_name_problem(name)
    assert problem is not None and why in problem


def test_ordinary_point_names_pass() -> None:
    assert point_name_problem("active_power_kw") is None
    assert point_name_problem("温度 (°C)") is None


def test_a_single_backslash_is_written_as_it_is() -> None:
    """InfluxDB 1.x keeps an escaped backslash as two characters: write it bare."""
    msg = Telemetry(SCHEMA_VERSION, "s", "a", "l", "d", 1, 1000, [Point("a\\b c", 1.0, 1000)])
    body, _ = encode_batch([("telemetry", msg)])
    assert body == b"telemetry,area=a,device=d,line=l,site=s a\\b\\ c=1.0,seq=1i 1000\n"
